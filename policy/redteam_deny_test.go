package policy

import (
	"strings"
	"testing"

	"github.com/veil-dev/veil/config"
)

// TestRedteamCredentialStores: the files command-line clients keep their
// tokens and passwords in, found by `veil policy explain` going through
// sensitive names, are blocked (in upper case and as backups too), while
// look-alike code files are not.
func TestRedteamCredentialStores(t *testing.T) {
	p := mustCompile(t, config.Policy{Defaults: true})
	for _, n := range []string{
		"/home/dev/.vault-token", root + "/.htpasswd", root + "/web/.htpasswd~", "/home/dev/.config/gh/hosts.yml",
		"/home/dev/.dockercfg", "/home/dev/.s3cfg", "/home/dev/.boto", "/home/dev/.gem/credentials",
		"/home/dev/.cargo/credentials.toml", "/home/dev/.cargo/credentials", "/home/dev/.terraformrc",
		"/home/dev/.terraform.d/credentials.tfrc.json", root + "/api/local.settings.json",
	} {
		for _, path := range []string{n, strings.ToUpper(n[:strings.LastIndexByte(n, '/')+1]) + strings.ToUpper(n[strings.LastIndexByte(n, '/')+1:])} {
			if d := p.Decide(Request{Kind: Chat, Path: path, WorkspaceRoot: root}); d.Route != Block {
				t.Errorf("%q: %+v, want block", path, d)
			}
		}
	}
	for _, n := range []string{"vault_token.go", "htpasswd.go", "gh/hosts.go", "s3cfg.md", "boto.py", "cargo/credentials.rs",
		"terraformrc.md", "settings.json", "local.settings.example.md"} {
		if d := p.Decide(Request{Kind: Chat, Path: root + "/" + n, WorkspaceRoot: root}); d.Route != Local {
			t.Errorf("%q: %+v, want local", n, d)
		}
	}
}
