package redact

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// find reports whether Scan finds want (a value) in text with rule id.
func findValue(d *Detector, path, text, id, want string) bool {
	for _, f := range d.Scan(path, []byte(text)) {
		if f.RuleID == id && text[f.Start:f.End] == want {
			return true
		}
	}
	return false
}

func TestGenericSecrets(t *testing.T) {
	d := newTestDetector(t, Options{})
	tps := []struct{ path, text, id, value string }{
		{"a.go", `const dbPassword = "hunter22"`, RuleGenericPassword, "hunter22"},
		{"a.go", `cfg := Config{Password: "s3cr3t-Pw!"}`, RuleGenericPassword, "s3cr3t-Pw!"},
		{"a.go", "apiKey := `q8Zr2LmX0vT4nB7c`", RuleGenericAPIKey, "q8Zr2LmX0vT4nB7c"},
		{"a.py", `client_secret = 'f00Bar-Baz-Qux-42'`, RuleGenericSecret, "f00Bar-Baz-Qux-42"},
		{"a.py", `connect(host="db", password="correcthorse")`, RuleGenericPassword, "correcthorse"},
		{"a.js", `const opts = { authToken: "Zm9vYmFyYmF6cXV4MTIz" }`, RuleGenericToken, "Zm9vYmFyYmF6cXV4MTIz"},
		{"a.json", `{"user": "bob", "password": "hunter22"}`, RuleGenericPassword, "hunter22"},
		{"a.go", `body := "{\"api_key\":\"k3y-9f8e7d6c\"}"`, RuleGenericAPIKey, "k3y-9f8e7d6c"},
		{"config.yaml", "db:\n  password: hunter22\n", RuleGenericPassword, "hunter22"},
		{".env", "DB_PASSWORD=hunter22\nGITHUB_TOKEN=abc123def456\n", RuleGenericToken, "abc123def456"},
		{".env", "export SECRET_KEY=Qm9vbTEyMzQ1Njc4\n", RuleGenericSecret, "Qm9vbTEyMzQ1Njc4"},
		{"app.properties", "spring.datasource.password=hunter22\n", RuleGenericPassword, "hunter22"},
		{"deploy.sh", "mysql --user root --password hunter22 db\n", RuleGenericPassword, "hunter22"},
		{"a.go", `exec.Command("tool", "--token=abc123def456")`, RuleGenericToken, "abc123def456"},
		{"a.rb", `config.api_key => "abcd1234efgh"`, RuleGenericAPIKey, "abcd1234efgh"},
		{"main.tf", `client_secret = "tf-Client-Value-99"`, RuleGenericSecret, "tf-Client-Value-99"},
		{"settings.xml", "<server>\n  <password>hunter22</password>\n</server>", RuleGenericPassword, "hunter22"},
		{"Dockerfile", "ENV DB_PASSWORD=hunter22\n", RuleGenericPassword, "hunter22"},
		{"app.yaml", "users:\n  - password: hunter22\n", RuleGenericPassword, "hunter22"},
	}
	for _, c := range tps {
		if !findValue(d, c.path, c.text, c.id, c.value) {
			t.Errorf("%s: %q: %s not found (findings %v)", c.path, c.text, c.id, d.Scan(c.path, []byte(c.text)))
		}
	}
	fps := []struct{ path, text string }{
		{"a.go", `password := os.Getenv("DB_PASSWORD")`},
		{"a.go", `token := p.next()`},
		{"a.go", `var tokenType = "bearer-ish-value"`},
		{"a.go", `passwordHash := "5f4dcc3b5aa765d61d8"`},
		{"a.go", `if password == "" { return }`},
		{"a.go", `Password: "",`},
		{"a.go", `token = "<your-token>"`},
		{"a.go", `password = "xxxxxxxx"`},
		{"a.go", `password = "********"`},
		{"a.go", `password = "changeit"`},
		{"a.go", `secret = "${SECRET}"`},
		{"a.go", `msg := "token: invalid value"`},
		{"a.go", `flag.String("password", "", "the password")`},
		{"a.js", `const token = process.env.TOKEN`},
		{"a.py", `password = get_password()`},
		{"a.py", `token = settings.API_TOKEN`},
		{"a.go", `token := "{{ .Token }}"`},
		{"a.go", `secret = "%s"`},
		{"x.yaml", "password: ${DB_PASSWORD}\n"},
		{"x.yaml", "password: !vault |\n"},
		{"x.yaml", "token: REPLACE_ME\n"},
		{".env", "PASSWORD=\n"},
		{".env", "API_KEY=$OTHER_KEY\n"},
		{"a.go", `password = "password"`},
		{"a.go", `apiKey: "your-api-key-here"`},
		{"a.ts", `userAssertionToken: "access-token",`},
		{"a.js", `ACCESS_TOKEN: "AccessToken",`},
		{"a.js", `const nullOrEmptyToken = "null_or_empty_token";`},
		{"a.js", `token: "GetTokenSilent",`},
		{"a.js", `eventName: { refreshToken: "refreshTokenFromCache" }`},
		{"package.json", `    "@azure/core-auth": "^1.10.0",`},
		{"a.ts", ` * run "azd auth login --client-id clientID --client-secret clientSecret"`},
		{"a.go", `sessionToken := "abcdefgh"`},
		{"a.ts", `InvalidPrivateKey = "invalid_private_key",`},
		{"out.json", `"NextToken": "eyJOZXh0VG9rZW4iOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAxfQ=="`},
		{"a.py", `client_token = "550e8400-e29b-41d4-a716-446655440000"`},
		{"p.json", `"result_token": "DistributionList.NextMarker2",`},
		{"p.py", `    "AWS::IAM::AccessKey": "62d91b17309e76c8",`},
		{"a.xml", `<password>${db.password}</password>`},
		{"a.xml", `<token>AccessToken</token>`},
	}
	checkNoGeneric(t, d, fps)
}

// checkNoGeneric fails t for every generic rule's finding in the samples:
// each is a false positive.
func checkNoGeneric(t *testing.T, d *Detector, samples []struct{ path, text string }) {
	t.Helper()
	for _, c := range samples {
		for _, f := range d.Scan(c.path, []byte(c.text)) {
			if strings.HasPrefix(f.RuleID, "generic-") {
				t.Errorf("%s: %q: false positive %s on %s", c.path, c.text, f.RuleID, Preview(c.text[f.Start:f.End]))
			}
		}
	}
}

func TestPII(t *testing.T) {
	d := newTestDetector(t, Options{})
	card := genCard(t, "4", 16)
	cardSpaced := card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:]
	iban := genIBAN(t, "GB", "NWBK60161331926819")
	ibanSpaced := iban[:4] + " " + iban[4:8] + " " + iban[8:12] + " " + iban[12:16] + " " + iban[16:20] + " " + iban[20:]
	tps := []struct{ text, id, value string }{
		{"contact: jane.doe+tag@mailbox.org.", RuleEmail, "jane.doe+tag@mailbox.org"},
		{`"email": "OPS@Corp-Mail.IO"`, RuleEmail, "OPS@Corp-Mail.IO"},
		{"call +44 20 7946 0958 now", RulePhone, "+44 20 7946 0958"},
		{"call +14155552671", RulePhone, "+14155552671"},
		{"office (415) 555-2671", RulePhone, "(415) 555-2671"},
		{"office 415-555-2671", RulePhone, "415-555-2671"},
		{"Tel. 030 1234 5678", RulePhone, "030 1234 5678"},
		{`card = "` + card + `"`, RuleCard, card},
		{"card: " + cardSpaced, RuleCard, cardSpaced},
		{"iban: " + iban, RuleIBAN, iban},
		{"IBAN " + ibanSpaced + ".", RuleIBAN, ibanSpaced},
		{"ssn 234-56-7890", RuleSSN, "234-56-7890"},
		{"server at 93.184.216.34:443", RuleIPv4, "93.184.216.34"},
		{"host 2a00:1450:4001:81c::200e", RuleIPv6, "2a00:1450:4001:81c::200e"},
	}
	for _, c := range tps {
		if !findValue(d, "notes.txt", c.text, c.id, c.value) {
			t.Errorf("%q: %s %s not found (findings %v)", c.text, c.id, Preview(c.value), d.Scan("notes.txt", []byte(c.text)))
		}
	}
	fps := []string{
		"user@example.com", "git@github.com:org/repo.git", "icon@2x.png", "pkg@v1.2.3", "m.Path@m.Version",
		"@decorator", "x := 4111111111111111", "n := 18446744073709551615", "ssn 000-12-3456", "ssn 666-12-3456",
		"ip 10.0.0.1", "ip 192.168.1.20", "ip 127.0.0.1", "ip 192.0.2.10", "version 1.2.3.4", "OID 2.5.4.3",
		"see Section 8.1.2.6", "::1", "fe80::1", "2001:db8::1", "time 12:34:56", "x[a:b]", "1.0.0.127.in-addr.arpa",
		"phone 555-0100", "a + 1234567", "total 1234567890123", "hex 00 11 22 33 44 55",
		"_I_('2.5.29.10', 'basicConstraints');", "_IN('1.3.101.112', 'EdDSA25519');",
	}
	for _, s := range fps {
		for _, f := range d.Scan("notes.txt", []byte(s)) {
			if f.Category == PII {
				t.Errorf("%q: false positive %s on %s", s, f.RuleID, Preview(s[f.Start:f.End]))
			}
		}
	}
	priv := newTestDetector(t, Options{PrivateIPs: true})
	if !findValue(priv, "", "ip 10.0.0.1", RuleIPv4, "10.0.0.1") || !findValue(priv, "", "ip fd12:3456:789a::1", RuleIPv6, "fd12:3456:789a::1") {
		t.Error("PrivateIPs does not mask private addresses")
	}
	if findValue(priv, "", "ip 192.0.2.10", RuleIPv4, "192.0.2.10") {
		t.Error("documentation range masked")
	}
}

func pemBlock(t *testing.T, nl string) string {
	r := testRand(t)
	var b strings.Builder
	b.WriteString("-----BEGIN RSA PRIVATE KEY-----" + nl)
	for range 5 {
		b.WriteString(randString(r, base62Digits+"+/", 64) + nl)
	}
	b.WriteString("-----END RSA PRIVATE KEY-----")
	return b.String()
}

func TestPrivateKeyBlocks(t *testing.T) {
	d := newTestDetector(t, Options{})
	for _, nl := range []string{"\n", `\n`, "\r\n"} {
		block := pemBlock(t, nl)
		text := `{"type": "service_account", "private_key": "` + block + `"}`
		fs := d.Scan("sa.json", []byte(text))
		if len(fs) != 1 || text[fs[0].Start:fs[0].End] != block || !strings.HasPrefix(fs[0].RuleID, "private-key") {
			t.Errorf("newline %q: findings %v", nl, fs)
		}
	}
	// A block cut short still masks its body.
	block := pemBlock(t, "\n")
	cut := block[:len(block)/2]
	fs := d.Scan("k.pem", []byte(cut))
	if len(fs) != 1 || fs[0].End != len(cut) {
		t.Errorf("truncated block: %v", fs)
	}
	for _, s := range []string{
		`const hdr = "-----BEGIN PUBLIC KEY-----"`,
		`const hdr = "-----BEGIN RSA PRIVATE KEY-----"`,
		`re := "/-----BEGIN .*PRIVATE KEY-----[A-Za-z0-9+/=\\r\\n]{50,}-----END .*PRIVATE KEY-----/"`,
	} {
		if fs := d.Scan("x.go", []byte(s)); len(fs) != 0 {
			t.Errorf("%s: flagged %v", s, fs)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"Zephyrine"}, Patterns: []string{`\b[a-z0-9-]+\.corp\.internal\b`}})
	text := "type ZephyrineBillingClient struct{}\nvar url = \"https://api.zephyrine.io\"\nconst zephyrine_id = 1\nhost := \"db-7.corp.internal\"\n"
	fs := d.Scan("a.go", []byte(text))
	var terms, pats []string
	for _, f := range fs {
		switch f.RuleID {
		case RuleTerm:
			terms = append(terms, text[f.Start:f.End])
		case RulePattern:
			pats = append(pats, text[f.Start:f.End])
		}
	}
	if fmt.Sprint(terms) != "[Zephyrine zephyrine zephyrine]" {
		t.Errorf("terms found %v", terms)
	}
	if fmt.Sprint(pats) != "[db-7.corp.internal]" {
		t.Errorf("patterns found %v", pats)
	}
	off := newTestDetector(t, Options{Terms: []string{"Zephyrine"}, NoIdentifiers: true})
	if len(off.Scan("a.go", []byte(text))) != 0 {
		t.Error("NoIdentifiers still finds terms")
	}
	if _, err := NewDetector(Options{Patterns: []string{"("}}); err == nil || !strings.Contains(err.Error(), "identifiers.patterns") {
		t.Errorf("bad pattern error: %v", err)
	}
}

func TestAllowlists(t *testing.T) {
	gh := genGitHubToken(t, "ghp_")
	text := "a := \"" + gh + "\"\nb := \"" + gh + "\" // veil:allow\n"
	d := newTestDetector(t, Options{})
	fs := d.Scan("a.go", []byte(text))
	if len(fs) != 1 || fs[0].Start > strings.IndexByte(text, '\n') {
		t.Fatalf("veil:allow line not suppressed: %v", fs)
	}
	d = newTestDetector(t, Options{AllowRegexes: []string{"^ghp_"}})
	if fs := d.Scan("a.go", []byte(text)); len(fs) != 0 {
		t.Errorf("allow regex: %v", fs)
	}
	d = newTestDetector(t, Options{AllowPaths: []string{"**/testdata/**"}})
	if fs := d.Scan("/src/x/testdata/k.go", []byte(text)); len(fs) != 0 {
		t.Errorf("allow path: %v", fs)
	}
	if fs := d.Scan("/src/x/k.go", []byte(text)); len(fs) == 0 {
		t.Error("allow path too broad")
	}
	if _, err := NewDetector(Options{AllowPaths: []string{"[["}}); err == nil {
		t.Error("bad glob accepted")
	}
	d = newTestDetector(t, Options{NoSecrets: true})
	if fs := d.Scan("a.go", []byte(text)); len(fs) != 0 {
		t.Errorf("NoSecrets: %v", fs)
	}
	d = newTestDetector(t, Options{NoPII: true})
	if fs := d.Scan("a.txt", []byte("mail jane@mailbox.org")); len(fs) != 0 {
		t.Errorf("NoPII: %v", fs)
	}
}

func TestScanSortedNonOverlapping(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"mailbox"}})
	gh := genGitHubToken(t, "ghp_")
	text := `token = "` + gh + `" mail jane@mailbox.org password = "` + gh + `"`
	fs := d.Scan("a.txt", []byte(text))
	if len(fs) < 3 {
		t.Fatalf("findings %v", fs)
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].Start < fs[i-1].End {
			t.Fatalf("overlap: %v", fs)
		}
	}
	// The provider rule (checksum-validated) wins over the generic one.
	if fs[0].RuleID == RuleGenericToken {
		t.Errorf("generic rule won over the provider rule: %v", fs[0])
	}
}

func TestScanRange(t *testing.T) {
	d := newTestDetector(t, Options{})
	gh := genGitHubToken(t, "ghp_")
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "line %d: x := %q // jane%d@mailbox.org\n", i, gh, i)
	}
	text := []byte(b.String())
	all := d.Scan("a.go", text)
	for _, r := range [][2]int{{0, 10}, {50000, 50100}, {len(text) - 5, len(text)}, {70000, 70000}} {
		ws, we := max(0, r[0]-d.Reach()), min(len(text), r[1]+d.Reach())
		var got, want []Finding
		for _, f := range d.ScanRange("a.go", text[ws:we], ws) {
			if f.Start < r[1] && f.End > r[0] {
				got = append(got, f)
			}
		}
		for _, f := range all {
			if f.Start < r[1] && f.End > r[0] {
				want = append(want, f)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("range %v: got %v want %v", r, got, want)
		}
	}
}

func TestAnchors(t *testing.T) {
	d := newTestDetector(t, Options{})
	text := []byte("x := 1\nkey := `-----BEGIN RSA PRIVATE KEY-----\nMIIB\n`\ny := 2 // veil:allow\n")
	as := d.Anchors(text[5:], 5, nil)
	marker := bytes.Index(text, []byte("veil:allow"))
	var key, allow bool
	for _, a := range as {
		switch {
		case a.Start <= bytes.Index(text, []byte("-----BEGIN")) && a.End >= len(text)+maxWindow:
			key = true
		case a.Start == 0 && a.End >= marker+len("veil:allow")+maxAllowLine:
			allow = true // the marker's line and the lexer's lookback
		}
	}
	if !key || !allow {
		t.Fatalf("anchors %v: want the private key block (reaching its window) and the veil:allow marker", as)
	}
	if as := d.Anchors([]byte("password = \"x\"\nghp_abc"), 0, nil); len(as) != 0 {
		t.Fatalf("short-window rules gave anchors %v", as)
	}
}

func TestPreview(t *testing.T) {
	for in, want := range map[string]string{
		"ghp_abcdefghijkl": "ghp_…(len 16)",
		"short":            "…(len 5)",
		"пароль-секрет":    "паро…(len 25)",
	} {
		if got := Preview(in); got != want {
			t.Errorf("Preview(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTypingSafety types a generated GitHub token one character at a time
// into a line of Go; after every keystroke the masked text must not show
// any 4-character run of the token's random part.
func TestTypingSafety(t *testing.T) {
	d := newTestDetector(t, Options{})
	v := NewVault(testKey, 1000)
	for _, prefix := range []string{"ghp_", "github_pat_", "sk-ant-", "xoxb-", "glpat-", "sk_live_", "AKIA"} {
		r := testRand(t)
		secret := prefix + randString(r, base62Digits, 36)
		random := secret[len(prefix):]
		head := "package main\n\nfunc main() {\n\tclient := New(\""
		tail := "\")\n\t_ = client\n}\n"
		for i := 0; i <= len(secret); i++ {
			text := head + secret[:i] + tail
			cursor := len(head) + i
			fs := d.ScanTyping("main.go", []byte(text), cursor)
			m, err := v.Mask(text, fs)
			if err != nil {
				t.Fatal(err)
			}
			typed := random[:max(0, i-len(prefix))]
			for k := 0; k+4 <= len(typed); k++ {
				if strings.Contains(m.Text, typed[k:k+4]) {
					t.Fatalf("%s: after %d chars the masked text shows part of the secret", prefix, i)
				}
			}
		}
	}
	// An unfinished high-entropy literal with no known prefix.
	text := `key := "q8Zr2LmX0vT4nB7cW1`
	fs := d.ScanTyping("a.go", []byte(text), len(text))
	if !foundBy(fs, RuleTypingPartial) {
		t.Errorf("unfinished literal not masked: %v", fs)
	}
	// Ordinary code at the cursor is left alone.
	text = "\tfmt.Println(strings.ToLower(name))"
	if fs := d.ScanTyping("a.go", []byte(text), len(text)-2); len(fs) != 0 {
		t.Errorf("ordinary code flagged: %v", fs)
	}
	// A private key block being typed.
	text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz"
	if fs := d.ScanTyping("id", []byte(text), len(text)); len(fs) != 1 || fs[0].Start != 0 || fs[0].End != len(text) {
		t.Errorf("open private key block: %v", fs)
	}
}

// TestChunkBoundaries puts keywords across the automaton's chunk borders:
// each is found once.
func TestChunkBoundaries(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"zephyrine"}})
	gh := genGitHubToken(t, "ghp_")
	for _, at := range []int{acChunk - 3, acChunk - 1, acChunk, 2*acChunk - 5, 3*acChunk - 60} {
		pad := strings.Repeat("x", at-1) + " "
		text := pad + gh + " Zephyrine\n"
		fs := d.Scan("a.txt", []byte(text))
		if len(fs) != 2 || fs[0].Start != at || fs[1].RuleID != RuleTerm {
			t.Errorf("at %d: %v", at, fs)
		}
	}
}

// A header mentioned in code is not an open key block: typing after it
// masks nothing.
func TestTypingAfterHeaderInCode(t *testing.T) {
	d := newTestDetector(t, Options{})
	text := "const hdr = \"-----BEGIN RSA PRIVATE KEY-----\"\n\nfunc parse(b []byte) error {\n\treturn decodeBlock"
	if fs := d.ScanTyping("a.go", []byte(text), len(text)); len(fs) != 0 {
		t.Errorf("findings %v", fs)
	}
	text = "{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ"
	if fs := d.ScanTyping("sa.json", []byte(text), len(text)); !foundBy(fs, RuleTypingPartial) && !foundBy(fs, RulePrivateKey) {
		t.Errorf("escaped key body being typed: %v", fs)
	}
}

func TestLowerASCII(t *testing.T) {
	var src, want []byte
	for c := 0; c < 256; c++ {
		src = append(src, byte(c))
		w := byte(c)
		if w >= 'A' && w <= 'Z' {
			w += 32
		}
		want = append(want, w)
	}
	for off := range 9 {
		dst := make([]byte, len(src)-off)
		lowerASCII(dst, src[off:])
		if string(dst) != string(want[off:]) {
			t.Fatalf("offset %d: lowerASCII differs", off)
		}
	}
}

// Many BEGIN lines, with and without END lines, each find the right block.
func TestManyKeyBlocks(t *testing.T) {
	d := newTestDetector(t, Options{})
	var b strings.Builder
	var want []string
	for i := range 40 {
		block := pemBlock(t, "\n")
		if i%3 == 1 {
			block = "-----BEGIN EC PRIVATE KEY-----\n" // header only: not a key
		} else {
			want = append(want, block)
		}
		b.WriteString("x\n" + block + "\n")
	}
	text := b.String()
	var got []string
	for _, f := range d.Scan("keys.txt", []byte(text)) {
		got = append(got, text[f.Start:f.End])
	}
	if len(got) != len(want) {
		t.Fatalf("%d blocks found, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("block %d differs", i)
		}
	}
}

func TestDigitMask(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := range 8 {
			x := uint64(c) << (8 * pos)
			got := digitMask(x) != 0
			if got != (c >= '0' && c <= '9') {
				t.Fatalf("byte %#x at %d: mask %v", c, pos, got)
			}
		}
	}
}
