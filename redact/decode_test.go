package redact

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// coveredBy reports whether some finding of category cat covers text[s:e]
// and returns it.
func coveredBy(fs []Finding, cat Category, s, e int) (Finding, bool) {
	for _, f := range fs {
		if f.Category == cat && f.Start <= s && f.End >= e {
			return f, true
		}
	}
	return Finding{}, false
}

func TestDecodeBase64(t *testing.T) {
	d := newTestDetector(t, Options{})
	gh := genGitHubToken(t, "ghp_")
	r := testRand(t)
	pw := genPassword(r, "")
	auth := base64.StdEncoding.EncodeToString([]byte("deploy:" + pw))
	dockercfg := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"registry.example.io":{"username":"deploy","password":"` + pw + `","auth":"` + auth + `"}}}`))
	cases := []struct{ path, text, blob string }{
		// A Kubernetes Secret: data values are base64 of the secret.
		{"secret.yaml", "apiVersion: v1\nkind: Secret\ndata:\n  config.json: {B}\n",
			base64.StdEncoding.EncodeToString([]byte(`{"github_token": "` + gh + `"}`))},
		{"secret.yaml", "kind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {B}\n", dockercfg},
		{"values.json", `{"db_url": "{B}"}`, base64.StdEncoding.EncodeToString([]byte("postgres://app:" + pw + "@db.internal:5432/app"))},
		{"a.env", "BLOB={B}\n", base64.RawURLEncoding.EncodeToString([]byte("token=" + gh + "&x=1"))},
	}
	for _, c := range cases {
		text := strings.ReplaceAll(c.text, "{B}", c.blob)
		s := strings.Index(text, c.blob)
		fs := d.Scan(c.path, []byte(text))
		if _, ok := coveredBy(fs, Secret, s, s+len(c.blob)); !ok {
			t.Errorf("%s: base64 blob %s not masked whole; findings %v", c.path, Preview(c.blob), fs)
		}
	}
	// Blobs that decode to binary or say nothing are left alone.
	for _, text := range []string{
		`sum := "` + base64.StdEncoding.EncodeToString([]byte("\x00\x01\x02\x8f\xfe\x10\x11\x12\x13\x14\x15\x16\x17\x18")) + `"`,
		`msg: ` + base64.StdEncoding.EncodeToString([]byte("hello world, nothing to see here")),
		`id = "ThisIsALongIdentifierName2"`,
	} {
		for _, f := range d.Scan("a.go", []byte(text)) {
			t.Errorf("%q: unexpected %s", text, f.RuleID)
		}
	}
}

func TestDecodeEscapes(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"Halcyon"}})
	gh := genGitHubToken(t, "ghp_")
	hexEsc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		}
		return b.String()
	}
	uEsc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, `\u%04x`, s[i])
		}
		return b.String()
	}
	octEsc := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, `\%03o`, s[i])
		}
		return b.String()
	}
	entities := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, "&#%d;", s[i])
		}
		return b.String()
	}
	cases := []struct {
		name, path, text, enc string
		cat                   Category
	}{
		{"hex escapes", "a.py", `tok = "{E}"`, hexEsc(gh), Secret},
		{"unicode escapes", "a.js", `const t = "{E}";`, uEsc(gh), Secret},
		{"octal escapes", "a.c", `char *t = "{E}";`, octEsc(gh), Secret},
		{"html entities", "a.html", `<code>{E}</code>`, entities(gh), Secret},
		{"percent-encoded", "a.txt", `https://ci.internal/hook?t={E}`, gh[:3] + "%5F" + gh[4:], Secret},
		{"zero-width space inside", "a.go", `t := "{E}"`, gh[:10] + "\u200b" + gh[10:], Secret},
		{"soft hyphen in a term", "a.md", `Project {E} ships`, "Hal\u00adcyon", Identifier},
		{"zero-width joiner in a term", "a.go", `var {E}Client`, "Halc\u200dyon", Identifier},
		{"BOM and bidi marks", "a.go", `t := "{E}"`, gh[:5] + "\ufeff" + gh[5:8] + "\u202e" + gh[8:], Secret},
	}
	for _, c := range cases {
		text := strings.ReplaceAll(c.text, "{E}", c.enc)
		s := strings.Index(text, c.enc)
		fs := d.Scan(c.path, []byte(text))
		f, ok := coveredBy(fs, c.cat, s, s+len(c.enc))
		if !ok {
			t.Errorf("%s: %s not masked; findings %v", c.name, Preview(c.enc), fs)
			continue
		}
		if f.Start != s || f.End != s+len(c.enc) {
			// Positions are exact: the finding is the encoded span itself.
			t.Errorf("%s: finding [%d,%d), want [%d,%d)", c.name, f.Start, f.End, s, s+len(c.enc))
		}
	}
}

// TestDecodeURLEncodedPEM checks a private key whose line breaks and
// spaces are percent-encoded.
func TestDecodeURLEncodedPEM(t *testing.T) {
	d := newTestDetector(t, Options{})
	r := testRand(t)
	body := randString(r, base62Digits+"+/", 64) + "\n" + randString(r, base62Digits+"+/", 64)
	pem := "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n"
	enc := url.PathEscape(pem)
	text := "key=" + enc + "&x=1"
	fs := d.Scan("hook.txt", []byte(text))
	s := strings.Index(text, enc)
	if _, ok := coveredBy(fs, Secret, s+len("-----BEGIN"), s+len(enc)-len("-----%0A")); !ok {
		t.Errorf("URL-encoded PEM not masked: %v", fs)
	}
}

// TestDecodeRoundTrip masks text holding encoded secrets and restores it
// byte for byte.
func TestDecodeRoundTrip(t *testing.T) {
	d := newTestDetector(t, Options{Terms: []string{"Halcyon"}})
	gh := genGitHubToken(t, "ghp_")
	text := "a: " + base64.StdEncoding.EncodeToString([]byte(`{"token":"`+gh+`"}`)) + "\n" +
		`b = "` + strings.ReplaceAll(gh, "_", `\x5f`) + "\"\nc = Hal\u00adcyon\n"
	v := NewVault(testKey, 10)
	fs := d.Scan("x.yaml", []byte(text))
	m, err := v.Mask(text, fs)
	if err != nil || len(fs) < 3 || strings.Contains(m.Text, gh[4:]) || strings.Contains(m.Text, "cyon") {
		t.Fatalf("not masked (%d findings, err %v)", len(fs), err)
	}
	if got, _ := v.Restore(m.Text); got != text {
		t.Errorf("restore differs: %s, want %s", Preview(got), Preview(text))
	}
}

// FuzzDecodeViews: whatever the encodings in a text, findings lie inside
// it, are sorted and do not overlap, and mask and restore round-trip.
func FuzzDecodeViews(f *testing.F) {
	f.Add(`t = "\x67\x68\x70\x5f" a: Z2hwX2FiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6 %40%3D &#103;&amp; Hal` + "\u00ad" + `cyon`)
	f.Add("k: " + base64.StdEncoding.EncodeToString([]byte(`{"password":"Xy7!abcdef9"}`)) + "\n\\u0067\\101")
	f.Add("\u200b\ufeff%0A%0A&#x67;\\777\\x")
	d := newTestDetector(f, Options{Terms: []string{"halcyon"}})
	f.Fuzz(func(t *testing.T, s string) {
		fs := d.Scan("f.txt", []byte(s))
		for i, x := range fs {
			if x.Start < 0 || x.End > len(s) || x.Start >= x.End || i > 0 && x.Start < fs[i-1].End {
				t.Fatalf("finding %d [%d,%d) bad in %d bytes", i, x.Start, x.End, len(s))
			}
		}
		v := NewVault(testKey, 1000)
		m, err := v.Mask(s, fs)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := v.Restore(m.Text); back != s {
			t.Fatalf("Restore(Mask(x)) != x")
		}
	})
}

// FuzzScanFamilies scans any text as every language family: no panic,
// findings inside the text, sorted and not overlapping.
func FuzzScanFamilies(f *testing.F) {
	f.Add(`password = r#"x"# + "y" \` + "\n" + `'''z''' [[w]] %q(v) ${P:-q} setPassword("a") os.environ["PASSWORD"] = "b"`)
	f.Add("password: |-\n  abc\n- name: DB_PASSWORD\n  value: x\nJwt: {\n Key: \"k\"}\nmysql -p\"x\nsshpass -p")
	f.Add(`<add key="Password" value="v"/> IDENTIFIED BY 'x' CREATE USER u WITH PASSWORD 'y' a:b:c:d:e`)
	d := newTestDetector(f, Options{Terms: []string{"Project Halcyon"}})
	paths := []string{"a.go", "a.py", "a.rb", "a.sh", ".env", "a.yaml", "a.toml", "a.json", "a.xml", "a.lua", "a.php",
		"a.sql", "a.md", "a.tf", "a.properties", ".pgpass", "", "Dockerfile"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range paths {
			fs := d.Scan(p, []byte(s))
			for i, x := range fs {
				if x.Start < 0 || x.End > len(s) || x.Start >= x.End || i > 0 && x.Start < fs[i-1].End {
					t.Fatalf("%s: finding %d [%d,%d) bad in %d bytes", p, i, x.Start, x.End, len(s))
				}
			}
		}
	})
}
