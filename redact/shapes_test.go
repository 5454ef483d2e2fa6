package redact

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Shapes from real configuration and code (issue 11), with generated
// values. Each case names the file, the text with {V} where the value goes,
// and the rule that must find exactly the value.

const pwAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// genPassword returns a human-style password: letters and digits with an
// optional leading symbol.
func genPassword(r *rand.Rand, lead string) string {
	return lead + randString(r, pwAlphabet, 10) + randString(r, "0123456789", 2)
}

// genMachine returns a machine-made secret of n base62 characters with at
// least one digit, one upper and one lower case letter.
func genMachine(r *rand.Rand, n int) string {
	return "a" + randString(r, base62Digits, n-3) + "Z7"
}

// anySecret as a shape's id accepts any secret finding that covers the value.
const anySecret = "*"

type shape struct {
	path, text, id string
}

// checkShapes asserts that every {V} in each shape's text (filled with
// value) is found, whole, by the rule.
func checkShapes(t *testing.T, d *Detector, shapes []shape, value func(i int) string) {
	t.Helper()
	for i, c := range shapes {
		v := value(i)
		text := strings.ReplaceAll(c.text, "{V}", v)
		fs := d.Scan(c.path, []byte(text))
		want := strings.Count(c.text, "{V}")
		got := 0
		for _, f := range fs {
			if f.RuleID == c.id && text[f.Start:f.End] == v {
				got++
			} else if c.id == anySecret && f.Category == Secret && strings.Contains(text[f.Start:f.End], v) {
				got++ // a provider rule took the value with its context
			}
		}
		if got != want {
			var seen []string
			for _, f := range fs {
				seen = append(seen, f.RuleID+" "+Preview(text[f.Start:f.End]))
			}
			t.Errorf("%s: %q: %s found %d of %d values (value %s); findings: %v", c.path, c.text, c.id, got, want, Preview(v), seen)
		}
	}
}

func TestGenericShapesPassword(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	shapes := []shape{
		// Keys reached by subscript or call.
		{"app.py", `os.environ["DB_PASSWORD"] = "{V}"`, RuleGenericPassword},
		{"app.py", `config["password"] = '{V}'`, RuleGenericPassword},
		{"app.rb", `ENV['DB_PASSWORD'] = '{V}'`, RuleGenericPassword},
		{"app.php", `$_ENV['DB_PASSWORD'] = '{V}';`, RuleGenericPassword},
		{"app.c", `setenv("DB_PASSWORD", "{V}", 1);`, RuleGenericPassword},
		{"main.go", `os.Setenv("DB_PASSWORD", "{V}")`, RuleGenericPassword},
		{"App.java", `System.setProperty("db.password", "{V}");`, RuleGenericPassword},
		{"App.java", `props.put("password", "{V}");`, RuleGenericPassword},
		{"App.java", `ds.setPassword("{V}");`, RuleGenericPassword},
		{"App.java", `Client.builder().password("{V}").build();`, RuleGenericPassword},
		{"app.py", `pw = os.getenv("DB_PASSWORD", "{V}")`, RuleGenericPassword},
		{"app.rb", `ENV.fetch("DB_PASSWORD", "{V}")`, RuleGenericPassword},
		// Declarations with types, default values.
		{"app.py", `password: str = "{V}"`, RuleGenericPassword},
		{"App.kt", `val dbPassword: String = "{V}"`, RuleGenericPassword},
		{"main.rs", `let password: &str = "{V}";`, RuleGenericPassword},
		{"main.go", `var password string = "{V}"`, RuleGenericPassword},
		{"App.cs", `private const string Password = @"{V}";`, RuleGenericPassword},
		{"app.py", `def connect(host, password="{V}"):`, RuleGenericPassword},
		{"app.py", `password = r"{V}"`, RuleGenericPassword},
		{"app.lua", `local password = [[{V}]]`, RuleGenericPassword},
		{"app.rb", `password = %q({V})`, RuleGenericPassword},
		{"app.sh", `psql "host=db" ${PGPASSWORD:-{V}}`, RuleGenericPassword},
		{"application.yml", "spring:\n  datasource:\n    password: ${DB_PASSWORD:{V}}\n", RuleGenericPassword},
		// Non-English key words.
		{"config.yaml", "datenbank:\n  passwort: {V}\n", RuleGenericPassword},
		{"config.yaml", "db:\n  contraseña: \"{V}\"\n", RuleGenericPassword},
		{"app.py", `mot_de_passe = "{V}"`, RuleGenericPassword},
		{"app.js", `const senha = "{V}";`, RuleGenericPassword},
		{"config.ini", "[db]\nwachtwoord = {V}\n", RuleGenericPassword},
		{"app.properties", "db.password = {V} # rotated monthly\n", RuleGenericPassword},
		{"config.yaml", "пароль: {V}\n", RuleGenericPassword},
		// Unquoted values in shell, env, log lines.
		{"run.sh", `PGPASSWORD={V} psql -h db -U app`, RuleGenericPassword},
		{"deploy.sh", `docker run -e DB_PASSWORD={V} app`, RuleGenericPassword},
		{"app.log", `2026-01-02 INFO connect user=app password={V} ok`, RuleGenericPassword},
		{".env", "DB_PASS={V}\n", RuleGenericPassword},
		{".env", "DB_PASSWORD=!{V}\n", anySecret}, // the leading ! is part of the password
		{"db.go", `dsn := "host=db user=app password={V} dbname=shop sslmode=disable"`, RuleGenericPassword},
		{"client.js", `fetch("/login?user=bob&password={V}&next=/")`, RuleGenericPassword},
		{"run.py", `subprocess.run("PGPASSWORD={V} psql -h db", shell=True)`, RuleGenericPassword},
		// Separate name and value fields.
		{"deploy.yaml", "env:\n  - name: DB_PASSWORD\n    value: {V}\n", RuleGenericPassword},
		{"task.json", `{"name": "DB_PASSWORD", "value": "{V}"}`, RuleGenericPassword},
		{"web.config", `<add key="Password" value="{V}" />`, RuleGenericPassword},
		{"pom.xml", `<property name="db.password" value="{V}"/>`, RuleGenericPassword},
		// CLI forms.
		{"backup.sh", `mysqldump -u root -p{V} shop > shop.sql`, RuleGenericPassword},
		{"backup.sh", `mysql -uroot -p"{V}" -e 'select 1'`, RuleGenericPassword},
		{"ssh.sh", `sshpass -p {V} ssh deploy@host`, RuleGenericPassword},
		{"ssh.sh", `sshpass -p '{V}' ssh deploy@host`, RuleGenericPassword},
		{"api.sh", `curl -u admin:{V} https://ci.internal/api`, anySecret},
		{"api.sh", `curl -X POST -u "admin:{V}" https://ci.internal/api`, anySecret},
		{"api.sh", `redis-cli -h cache -a {V} ping`, RuleGenericPassword},
		{"tls.sh", `openssl pkcs12 -export -passout pass:{V} -out a.p12`, RuleGenericPassword},
		{"pack.sh", `zip -P {V} out.zip a.txt`, RuleGenericPassword},
		{"web.sh", `htpasswd -b .htpasswd admin {V}`, RuleGenericPassword},
		{"login.sh", `docker login -u bot -p {V} registry.internal`, RuleGenericPassword},
		{"deploy.sh", `mysql --user root --password {V} db`, RuleGenericPassword},
		// SQL, in .sql files and in strings.
		{"init.sql", `CREATE USER app WITH PASSWORD '{V}';`, RuleGenericPassword},
		{"init.sql", `ALTER USER 'app'@'%' IDENTIFIED BY '{V}';`, RuleGenericPassword},
		{"db.go", `db.Exec("CREATE ROLE reader LOGIN PASSWORD '{V}'")`, RuleGenericPassword},
		{"setup.sh", `mysqladmin -u root password {V}`, RuleGenericPassword},
		// Prose in comments, chat and docs.
		{"main.go", `// the staging password is {V} until Friday`, RuleGenericPassword},
		{"app.py", `# pwd: {V}`, RuleGenericPassword},
		{"wifi.yaml", "passcode: {V}\n", RuleGenericPassword},
		{"", `my password is {V}, can you fix the login?`, RuleGenericPassword},
		{"NOTES.md", `Admin password: {V}`, RuleGenericPassword},
	}
	checkShapes(t, d, shapes, func(int) string { return genPassword(r, "") })
}

func TestGenericShapesSymbolsAndWords(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	// Passwords that start with a symbol or contain words today's
	// placeholder test took for examples.
	values := []string{"!" + genPassword(r, ""), "#" + genPassword(r, ""), "@" + genPassword(r, ""),
		"$" + strings.ToLower(genPassword(r, "")), "auth" + genPassword(r, ""), genPassword(r, "") + "secret",
		"pass" + genPassword(r, ""), "your" + genPassword(r, ""), "todo" + genPassword(r, ""),
		"correct horse battery " + strings.ToLower(randString(r, "abcdefghijklmnopqrstuvwxyz", 7))}
	var shapes []shape
	for range values {
		shapes = append(shapes, shape{"app.py", `DB_PASSWORD = "{V}"`, RuleGenericPassword})
	}
	// A passphrase in a properties file is the rest of the line.
	values = append(values, values[len(values)-1])
	shapes = append(shapes, shape{"app.properties", "mail.password={V}\n", RuleGenericPassword})
	checkShapes(t, d, shapes, func(i int) string { return values[i] })
}

func TestGenericShapesKeys(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	shapes := []shape{
		{".env", "JWT_KEY={V}\n", RuleGenericSecret},
		{".env", "HMAC_KEY={V}\n", RuleGenericSecret},
		{"config.yaml", "session_key: {V}\n", RuleGenericSecret},
		{"settings.py", `SIGNING_KEY = "{V}"`, RuleGenericSecret},
		{"app.js", `const AES_KEY = "{V}";`, RuleGenericSecret},
		{"config.yml", "master_key: \"{V}\"\n", RuleGenericSecret},
		{"secrets.yml", "production:\n  secret_key_base: {V}\n", RuleGenericSecret},
		{"app.json", `{"client_secret": "{V}"}`, RuleGenericSecret},
		{"app.ts", `encryptionKey: "{V}",`, RuleGenericSecret},
		{"app.go", `os.Setenv("SERVICE_KEY", "{V}")`, RuleGenericSecret},
		{"main.go", `// the deploy token is {V}`, RuleGenericToken},
		{"", `token: {V}`, RuleGenericToken},
		{"", `secret = {V}`, RuleGenericSecret},
	}
	checkShapes(t, d, shapes, func(int) string { return genMachine(r, 32) })
}

// TestGenericMultiline checks values that continue over lines: YAML block
// scalars and string concatenation, masked piece by piece.
func TestGenericMultiline(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	shapes := []shape{
		{"values.yaml", "db:\n  password: |\n    {V}\n  user: app\n", RuleGenericPassword},
		{"values.yaml", "db:\n  password: >-\n    {V}\n", RuleGenericPassword},
		{"app.yaml", "token: |+\n  {V}\n  {V}\nnext: 1\n", RuleGenericToken},
		{"app.java", "String apiToken = \"{V}\" +\n    \"{V}\";", RuleGenericToken},
		{"app.ts", "const apiToken =\n  \"{V}\" +\n  \"{V}\";", RuleGenericToken},
		{"app.py", "API_TOKEN = (\n    \"{V}\"\n    \"{V}\"\n)", RuleGenericToken},
		{"app.c", "const char *api_token = \"{V}\"\n    \"{V}\";", RuleGenericToken},
		{"app.lua", "local api_token = \"{V}\" ..\n  \"{V}\"", RuleGenericToken},
		{"app.php", "$api_token = '{V}' .\n  '{V}';", RuleGenericToken},
		{"app.py", `api_token = """{V}"""`, RuleGenericToken},
		{"settings.xml", "<server>\n  <apiToken>\n    {V}\n  </apiToken>\n</server>", RuleGenericToken},
		{"App.java", "String apiToken = \"\"\"\n    {V}\"\"\";", RuleGenericToken},
		{"conf.toml", "api_token = \"\"\"\n{V}\"\"\"\n", RuleGenericToken},
	}
	checkShapes(t, d, shapes, func(int) string { return genMachine(r, 20) })
}

// TestGenericShapesFP keeps references, placeholders and UI texts out.
func TestGenericShapesFP(t *testing.T) {
	d := newTestDetector(t, Options{})
	fps := []struct{ path, text string }{
		{"app.py", `os.environ["DB_PASSWORD"] = os.environ["OTHER"]`},
		{"app.py", `password = os.getenv("DB_PASSWORD", "")`},
		{"app.py", `config["password"] = get_password()`},
		{"App.java", `ds.setPassword(System.getenv("DB_PASSWORD"));`},
		{"App.java", `String p = props.getProperty("db.password", "");`},
		{"App.java", `if (user.getPassword("x") == null) {}`},
		{"app.js", `const password = "Please enter your password";`},
		{"app.js", `label: "Password is required",`},
		{"app.go", `// The password is stored hashed; see Hash below.`},
		{"app.go", `// token is [token.STRING] for strings`},
		{"app.go", `// If the returned token is a keyword, the literal string is the keyword.`},
		{"NOTES.md", "The password is incorrect."},
		{"NOTES.md", "Set the token: see the docs."},
		{"", "my password is secret"},
		{"run.sh", `PGPASSWORD=$PGPASS psql`},
		{"run.sh", `mysql -u root -p -e 'select 1'`},
		{"run.sh", `curl -u "$USER:$PASS" https://x`},
		{"app.yaml", "password: \"{{ .Values.password }}\"\n"},
		{"app.yaml", "password: <your-password>\n"},
		{"app.yaml", "password: your_password_here\n"},
		{"deploy.yaml", "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef: {name: db, key: password}\n"},
		{"task.json", `{"name": "DB_PASSWORD", "value": ""}`},
		{"app.py", `password: str = Field(default=None)`},
		{"app.sh", `echo "${PASSWORD:-}"`},
		{"app.go", `pin := 13`},
		{"led.py", `led_pin = 13`},
		{"app.go", `key := "value"`},
		{"app.go", `mapKey := "abcdefghijk123"`},
		{"app.go", `sortKey = "Zm9vYmFyMTIzNDU2"`},
		{"app.sh", `export PASSWORD="$(cat /run/secrets/db)"`},
		{"app.rb", `password = "#{ENV['X']}"`},
		{"app.go", `case "password":`},
		{"app.py", `conn = connect(host, user, password=db_password)`},
		{"app.py", `conn = connect(host=h, password=cfg.password)`},
		{"app.go", `x := fmt.Sprintf("password=%s", pw)`},
		{"init.sql", `ALTER USER app PASSWORD NULL;`},
		{"init.sql", `-- the user password 'must' be rotated`},
		{"a_test.go", `// Here the function identified by "repeat" is overwritten.`},
		{"app.py", `hashed_password = "pbkdf2:sha256:abc123"`},
		{"app.js", `const resetPassword = "/api/reset";`},
		{"a_test.go", `u.User = url.UserPassword("aladdin", os.Getenv("PW"))`},
		{"mlkem.go", `"encryptionKey": "encryptionKey1024",`},
		{"group.go", `// 	groupname:password:GID:user_list`},
	}
	checkNoGeneric(t, d, fps)
}

// TestEnvMachineValues: in env files, values under keys that say nothing
// are masked when machine-made; words, numbers, URLs and paths are not.
func TestEnvMachineValues(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	totp := randString(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32)
	salt := randString(r, "0123456789abcdef", 64)
	other := genMachine(r, 40)
	for _, path := range []string{".env", "prod.env", ".env.local", "deploy/.envrc", "config/env.production"} {
		text := "TOTP_SEED=" + totp + "\nexport PEPPER=\"" + salt + "\"\nSIGNATURE='" + other + "'\n" +
			"APP_NAME=billing-service-frontend\nPORT=8080\nAPI_URL=https://api.internal.example/v1/items\n" +
			"LOG_DIR=/var/log/app/current\nFEATURE_FLAGS=alpha,beta,gamma\n# NOTE=" + other + "x\n"
		fs := d.Scan(path, []byte(text))
		for _, v := range []string{totp, salt, other} {
			s := strings.Index(text, v)
			if _, ok := coveredBy(fs, Secret, s, s+len(v)); !ok {
				t.Errorf("%s: %s not masked", path, Preview(v))
			}
		}
		if len(fs) != 3 {
			var got []string
			for _, f := range fs {
				got = append(got, Preview(text[f.Start:f.End]))
			}
			t.Errorf("%s: want 3 findings, got %v", path, got)
		}
	}
	if fs := d.Scan("app.py", []byte("TOTP_SEED=\""+totp+"\"\n")); len(fs) != 0 {
		t.Errorf("outside env files the key decides: %v", fs)
	}
}

// TestPgpass: the last field of each .pgpass line is the password.
func TestPgpass(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	pw1, pw2 := genPassword(r, ""), genPassword(r, "")
	text := "# host:port:db:user:password\ndb.internal:5432:shop:app:" + pw1 + "\n*:*:*:replica:" + pw2 + "\nbad:line\n"
	for _, pw := range []string{pw1, pw2} {
		if !findValue(d, "/home/u/.pgpass", text, RuleGenericPassword, pw) {
			t.Errorf("%s not found: %v", Preview(pw), d.Scan(".pgpass", []byte(text)))
		}
	}
	if n := len(d.Scan(".pgpass", []byte(text))); n != 2 {
		t.Errorf("want 2 findings, got %d", n)
	}
}

// TestHCLExpressions: in Terraform, unquoted values are expressions.
func TestHCLExpressions(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, text := range []string{
		"password = base64decode(var.db_password)\n",
		"password = random_password.db.result\n",
		"password = lookup(var.passwords, \"db\")\n",
		"master_password = data.aws_secretsmanager_secret_version.db.secret_string\n",
	} {
		for _, f := range d.Scan("main.tf", []byte(text)) {
			t.Errorf("%q: unexpected %s on %s", text, f.RuleID, Preview(text[f.Start:f.End]))
		}
	}
}
