package redact

import (
	"fmt"
	"strings"
	"testing"
)

// Fake values, never real ones: a human password with symbols and no
// digits, a passphrase with spaces, a machine-made password.
const (
	humanPassword = "Sunny!Beach-walk"
	passphrase    = "correct horse battery staple"
	machinePass   = "Tr0ub4dorQx93kLm"
)

// typingCase types value after before (and before after, which follows the
// cursor) one byte at a time.
type typingCase struct {
	name   string
	path   string
	before string
	value  string
	after  string
	// from is the number of typed bytes from which the typed part must be
	// masked: 1 when the owner or the file says credential, up to 9 when
	// only the value's shape does (no 10-byte piece may ever leave).
	from int
}

var typingCases = []typingCase{
	{"go double quote, password var", "main.go", `	dbPassword := "`, humanPassword, "", 1},
	{"go double quote, auto-closed", "main.go", `	dbPassword := "`, humanPassword, `"`, 1},
	{"go backtick", "main.go", "	pw := `", passphrase, "", 1},
	{"go struct field", "main.go", `	cfg := Config{Password: "`, passphrase, "", 1},
	{"go setenv argument", "main.go", `	os.Setenv("DB_PASSWORD", "`, humanPassword, "", 1},
	{"go call name", "main.go", `	client.SetAPIKey("`, machinePass, "", 1},
	{"go no owner, password shape", "main.go", `	connect("admin", "`, humanPassword, "", 8},
	{"go no owner, machine shape", "main.go", `	connect("admin", "`, machinePass, "", 8},
	{"python single quote", "app.py", `db_password = '`, humanPassword, "", 1},
	{"python triple double", "app.py", `SECRET = """`, passphrase, "", 1},
	{"python triple single", "app.py", `SECRET = '''`, passphrase, "", 1},
	{"python raw prefix", "app.py", `token = r'`, machinePass, "", 1},
	{"python f prefix kwarg", "app.py", `connect(password=f"`, humanPassword, "", 1},
	{"python dict key", "app.py", `cfg = {"api_key": "`, machinePass, "", 1},
	{"js template literal", "app.ts", "const authToken = `", machinePass, "", 1},
	{"js index", "app.js", `headers["X-Api-Key"] = '`, machinePass, "", 1},
	{"kotlin triple", "Main.kt", `val secret = """`, passphrase, "", 1},
	{"rust raw string", "main.rs", `let password = r#"`, humanPassword, "", 1},
	{"json value", "settings.json", `  "clientSecret": "`, machinePass, "", 1},
	{"env unquoted", ".env", `DB_PASS=`, humanPassword, "", 1},
	{"env unquoted, plain key", ".env.local", `DATABASE=`, passphrase, "", 1},
	{"env double quoted", "prod.env", `API_TOKEN="`, machinePass, "", 1},
	{"shell export", "deploy.sh", `export DB_PASSWORD=`, humanPassword, "", 1},
	{"yaml key", "config.yaml", `  password: `, passphrase, "", 1},
	{"yaml list item", "config.yml", `  - token: `, machinePass, "", 1},
	{"yaml plain key, value shape", "values.yaml", `  host: `, "db01.internal.example", "", 1},
	{"yaml block scalar", "secret.yaml", "stringData:\n  password: |\n    ", humanPassword, "", 1},
	{"yaml folded block, list item", "values.yaml", "creds:\n  - token: >-\n      ", passphrase, "", 1},
	{"toml", "Cargo.toml", `api_key = "`, machinePass, "", 1},
	{"toml unquoted", "conf.toml", `password = `, humanPassword, "", 1},
	{"ini", "app.ini", `password=`, passphrase, "", 1},
	{"properties", "app.properties", `spring.datasource.password=`, humanPassword, "", 1},
	{"dockerfile env", "Dockerfile", `ENV DB_PASSWORD `, humanPassword, "", 1},
	{"dockerfile arg", "Dockerfile", `ARG NPM_TOKEN=`, machinePass, "", 1},
	{"flag --password", "run.sh", `psql --password `, humanPassword, "", 1},
	{"flag --token=", "Makefile", `	deploy --token=`, machinePass, "", 1},
	{"flag -p attached mysql", "run.sh", `mysql -u root -p`, humanPassword, "", 1},
	{"flag -p separate sshpass", "run.sh", `sshpass -p `, humanPassword, "", 1},
	{"flag -u user:", "run.sh", `curl -u admin:`, humanPassword, "", 1},
	{"flag in a go string", "main.go", `	cmd := "mysql -u root -p`, humanPassword, "", 1},
	{"dsn in a go string", "main.go", `	db, err := sql.Open("postgres", "host=db user=app password=`, humanPassword, "", 1},
	{"connection string", "appsettings.json", `  "Db": "Server=db;User Id=app;Password=`, humanPassword, "", 1},
	{"url query", "main.py", `url = f"https://api.example.com/v1?format=json&api_key=`, machinePass, "", 1},
	{"url credentials", "main.go", `	u := "postgres://app:`, humanPassword, "", 1},
	{"netrc line", ".netrc", "machine example.com login dev password ", humanPassword, "", 1},
	{"here-document", "setup.sh", "cat > ~/.netrc <<EOF\nmachine example.com login dev password ", humanPassword, "", 1},
	{"bearer header", "main.go", `	req.Header.Set("Authorization", "Bearer `, machinePass, "", 1},
	{"secret prefix unquoted", "notes.txt", `use `, "ghp_" + strings.Repeat("aB3", 12), "", 5},
	{"markdown env line", "README.md", `    DB_PASSWORD=`, humanPassword, "", 1},
}

func TestUnfinishedTypedOneByteAtATime(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, c := range typingCases {
		t.Run(c.name, func(t *testing.T) {
			for k := 1; k <= len(c.value); k++ {
				text := "package x\n\n" + c.before + c.value[:k] + c.after + "\nnext line\n"
				vs := len("package x\n\n") + len(c.before)
				fs := d.ScanTyping(c.path, []byte(text), vs+k)
				if k >= c.from && !covered(fs, vs, vs+k) {
					t.Fatalf("typed %d of %d bytes (%s): [%d,%d) not masked, findings %v",
						k, len(c.value), Preview(c.value), vs, vs+k, spans(fs))
				}
			}
		})
	}
}

func TestUnfinishedPasted(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, c := range typingCases {
		t.Run(c.name, func(t *testing.T) {
			line := c.before + c.value + c.after
			text := "package x\n\n" + line + "\n"
			vs := len("package x\n\n") + len(c.before)
			// The cursor (or the paste's end) sits at the end of the value.
			fs := d.ScanTyping(c.path, []byte(text), vs+len(c.value))
			if !covered(fs, vs, vs+len(c.value)) {
				t.Fatalf("pasted %s: not masked, findings %v", Preview(c.value), spans(fs))
			}
		})
	}
}

// Prose and ordinary code stay visible while they are typed.
func TestUnfinishedProseStaysVisible(t *testing.T) {
	d := newTestDetector(t, Options{})
	cases := []struct{ path, before, value string }{
		{"main.go", `	log.Printf("`, "connecting to the database at %s"},
		{"main.go", `	msg := "`, "Hello, world"},
		{"main.go", `	fmt.Println("`, "done"},
		{"app.py", `print('`, "it's ready"},
		{"app.py", `raise ValueError("`, "password must not be empty"},
		{"query.sql", `SELECT name FROM users WHERE city = '`, "Berlin"},
		{"app.ts", "const greeting = `", "Welcome back to the app"},
		{"run.sh", `mkdir -p `, "build"},
		{"main.go", `	u := "https://example.com:`, "8443/path"},
		{"main.go", `	q := "?format=json&page=`, "2"},
		{"run.sh", `ssh -p `, "2222"},
		{"main.go", `	// `, "the password is checked elsewhere"},
		{"main.go", `	x := `, "computeValue(a, b)"},
	}
	for _, c := range cases {
		for k := 1; k <= len(c.value); k++ {
			text := c.before + c.value[:k]
			if _, ok := d.Unfinished(c.path, []byte(text), len(text)); ok {
				t.Fatalf("%s: %q masked after %d bytes of %q", c.path, c.before, k, c.value)
			}
		}
	}
}

// In a config file a value is data until it reads as prose: the first
// word is masked while typed, a sentence is not.
func TestUnfinishedConfigValue(t *testing.T) {
	d := newTestDetector(t, Options{})
	for text, want := range map[string]bool{
		"description: the": true, "description: the service that": false, "replicas: 3": true,
		"description: |\n  the service that answers": false,
	} {
		f, ok := d.Unfinished("config.yaml", []byte(text), len(text))
		if ok != want || ok && f.Confidence >= typingKnownConf {
			t.Errorf("%q: masked %v (confidence %v), want %v below the known-value level", text, ok, f.Confidence, want)
		}
	}
}

// Once the value is finished (its quote closed, the cursor past it) the
// structural finding goes: the detector decides.
func TestUnfinishedEndsWithTheValue(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, text := range []string{
		`x := "` + humanPassword + `" + y`,
		`name := "` + passphrase + `"`,
	} {
		if f, ok := d.Unfinished("main.go", []byte(text), len(text)); ok {
			t.Fatalf("finished value still a typing finding: [%d,%d)", f.Start, f.End)
		}
	}
}

// The typing finding spans from the value's start to the end of the
// unfinished text, even when the cursor sits in the middle of it.
func TestUnfinishedSpanIsTheWholeValue(t *testing.T) {
	d := newTestDetector(t, Options{})
	before := `pw := "`
	text := before + humanPassword + " trailing"
	f, ok := d.Unfinished("main.go", []byte(text), len(before)+4)
	if !ok || f.Start != len(before) || f.End != len(text) {
		t.Fatalf("got %v %+v, want [%d,%d)", ok, f, len(before), len(text))
	}
	if f.Confidence < typingKnownConf {
		t.Fatalf("owned value confidence %v, want >= %v", f.Confidence, typingKnownConf)
	}
}

// A string opened on an earlier line (triple quotes, Go backticks) is
// masked from its opening quote.
func TestUnfinishedMultiLineString(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, c := range []struct{ path, open string }{
		{"app.py", "KEY = \"\"\"\n"},
		{"main.go", "var key = `\n"},
	} {
		text := c.open + machinePass
		f, ok := d.Unfinished(c.path, []byte(text), len(text))
		if !ok || f.Start > len(c.open) || f.End != len(text) {
			t.Fatalf("%s: got %v [%d,%d)", c.path, ok, f.Start, f.End)
		}
	}
}

func TestUnfinishedPrivateKeyWithoutEnd(t *testing.T) {
	d := newTestDetector(t, Options{})
	body := strings.Repeat("MIIEowIBAAKCAQEAx3Lk9vQ2mB8pZr4tYw1sNcFh7JdUe0aGoXiPlVbWqTnS\n", 3)
	text := "key := `-----BEGIN RSA PRIVATE KEY-----\n" + body + "MIIEow"
	f, ok := d.Unfinished("main.go", []byte(text), len(text))
	begin := strings.Index(text, "-----BEGIN")
	if !ok || f.Start > begin || f.End != len(text) {
		t.Fatalf("got %v [%d,%d), want [%d,%d)", ok, f.Start, f.End, begin, len(text))
	}
}

// The cursor in a key, in a comment or on an empty value masks nothing.
func TestUnfinishedNothingToMask(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, c := range []struct {
		path, text string
		at         int
	}{
		{".env", "DB_PASS=", 8},
		{".env", "DB_PA", 5},
		{"main.go", `pw := "`, 7},
		{"main.go", `pw := ""`, 7},
		{"config.yaml", "password:", 9},
	} {
		if f, ok := d.Unfinished(c.path, []byte(c.text), c.at); ok {
			t.Fatalf("%s %q at %d: masked [%d,%d)", c.path, c.text, c.at, f.Start, f.End)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"db_password": true, "DB-PASSWORD": true, "dbPassword": true, "--api-key": true, "X-Auth-Token": true,
		"stripeKey": true, "DBPASSWORD": true, "HTTPToken": true, "pwd": true, "client_secret": true,
		"Authorization": true, "passphrase": true, "privateKey": true,
		"log.Printf": false, "name": false, "compass": false, "author": false, "key": false, "keyboard": false,
		"bypassCache": false, "passenger": false, "": false,
	} {
		if got := secretName([]byte(name)); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPasswordLike(t *testing.T) {
	for v, want := range map[string]bool{
		humanPassword: true, machinePass: true, "a3f9c2e81b7d": true, "Pa$$w0rd": true,
		passphrase: false, "hello": false, "localhost": false, "user_name": false, "2024-01-01": false,
		"/usr/local/bin": false, "Sunny!": false, "Sunny!Be": true, "abc": false,
	} {
		if got := passwordLike([]byte(v)); got != want {
			t.Errorf("passwordLike(%s) = %v, want %v", Preview(v), got, want)
		}
	}
}

// covered reports whether findings cover every byte of [s, e).
func covered(fs []Finding, s, e int) bool {
	for _, f := range fs {
		if f.Start <= s && f.End >= e {
			return true
		}
	}
	return false
}

func spans(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s@%d-%d", f.RuleID, f.Start, f.End))
	}
	return out
}

// BenchmarkUnfinished: the typing scan at the end of a line being typed in
// a 1 MB Go document (it looks at the line and a bounded lookback only).
func BenchmarkUnfinished(b *testing.B) {
	d := newTestDetector(b, Options{})
	text := []byte(strings.Repeat("\tx := compute(a, b) // ordinary code\n", 28000) + `	dbPassword := "` + humanPassword)
	at := len(text)
	b.SetBytes(1)
	for b.Loop() {
		if _, ok := d.Unfinished("big.go", text, at); !ok {
			b.Fatal("not masked")
		}
	}
}
