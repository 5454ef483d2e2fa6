package editors

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// The editors that cannot run here (JetBrains, Helix, Zed) are checked two
// ways: their config files parse and carry the fields the editor needs, and
// the command line they would run starts veil and answers initialize.

// lsp4ijTemplate is the part of LSP4IJ's template.json that LSP4IJ reads.
type lsp4ijTemplate struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	URL              string            `json:"url"`
	ProgramArgs      map[string]string `json:"programArgs"`
	FileTypeMappings []struct {
		FileType struct {
			Name     string   `json:"name"`
			Patterns []string `json:"patterns"`
		} `json:"fileType"`
		LanguageID string `json:"languageId"`
	} `json:"fileTypeMappings"`
}

func TestJetBrainsLSP4IJTemplate(t *testing.T) {
	dir := filepath.Join("jetbrains", "lsp4ij", "veil")
	var tmpl lsp4ijTemplate
	decodeJSONStrict(t, filepath.Join(dir, "template.json"), &tmpl)
	if tmpl.ID != "veil" || tmpl.Name != "veil" {
		t.Errorf("id %q name %q, want veil", tmpl.ID, tmpl.Name)
	}
	def := strings.Fields(tmpl.ProgramArgs["default"])
	if len(def) < 2 || def[0] != "veil" || def[1] != "lsp" {
		t.Errorf("programArgs.default = %q, want \"veil lsp ...\"", tmpl.ProgramArgs["default"])
	}
	if w := strings.Fields(tmpl.ProgramArgs["windows"]); len(w) < 2 || w[1] != "lsp" {
		t.Errorf("programArgs.windows = %q, want \"veil.exe lsp ...\"", tmpl.ProgramArgs["windows"])
	}

	// Every mapping must have a languageId (LSP4IJ drops mappings without
	// one) and a pattern or file type name; a pattern may appear only once.
	seen := map[string]string{}
	languages := map[string]bool{}
	for i, m := range tmpl.FileTypeMappings {
		if m.LanguageID == "" {
			t.Errorf("mapping %d has no languageId", i)
		}
		if len(m.FileType.Patterns) == 0 && m.FileType.Name == "" {
			t.Errorf("mapping %d (%s) has neither patterns nor a file type name", i, m.LanguageID)
		}
		for _, p := range m.FileType.Patterns {
			if prev, dup := seen[p]; dup {
				t.Errorf("pattern %q mapped twice (%s and %s)", p, prev, m.LanguageID)
			}
			seen[p] = m.LanguageID
		}
		languages[m.LanguageID] = true
	}
	for _, want := range []string{"python", "go", "java", "kotlin", "javascript", "typescript", "rust", "c", "cpp", "dotenv"} {
		if !languages[want] {
			t.Errorf("no mapping for languageId %q", want)
		}
	}
	// .env must reach veil, or the user never sees why it is not completed.
	if seen[".env"] != "dotenv" {
		t.Errorf(".env is mapped to %q, want dotenv", seen[".env"])
	}

	if !strings.HasPrefix(tmpl.URL, "https://") {
		t.Errorf("template url = %q, want a documentation link", tmpl.URL)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil || !bytes.Contains(readme, []byte(tmpl.URL)) {
		t.Errorf("the template folder needs a README.md linking %q (read error %v)", tmpl.URL, err)
	}

	var settings, initOpts map[string]any
	decodeJSONStrict(t, filepath.Join(dir, "settings.json"), &settings)
	decodeJSONStrict(t, filepath.Join(dir, "initializationOptions.json"), &initOpts)
	// editorInfo/editorPluginInfo are what Copilot plugins send; with them
	// veil would treat LSP4IJ as one (Copilot notifications, dialect).
	for _, k := range []string{"editorInfo", "editorPluginInfo"} {
		if _, ok := initOpts[k]; ok {
			t.Errorf("initializationOptions.json has %q: LSP4IJ is not a Copilot plugin", k)
		}
	}

	checkServerStarts(t, def, initOpts)
}

func TestHelixLanguagesTOML(t *testing.T) {
	var cfg struct {
		LanguageServer map[string]struct {
			Command string   `toml:"command"`
			Args    []string `toml:"args"`
		} `toml:"language-server"`
		Language []struct {
			Name            string   `toml:"name"`
			LanguageServers []string `toml:"language-servers"`
		} `toml:"language"`
	}
	b, err := os.ReadFile(filepath.Join("helix", "languages.toml"))
	must(t, err)
	dec := toml.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("helix/languages.toml: %v", err)
	}
	veil, ok := cfg.LanguageServer["veil"]
	if !ok || veil.Command != "veil" || len(veil.Args) == 0 || veil.Args[0] != "lsp" {
		t.Fatalf("[language-server.veil] = %+v, want command veil, args [lsp ...]", veil)
	}
	names := map[string]bool{}
	for _, l := range cfg.Language {
		if names[l.Name] {
			t.Errorf("language %q listed twice", l.Name)
		}
		names[l.Name] = true
		if !slices.Contains(l.LanguageServers, "veil") {
			t.Errorf("language %q does not list veil", l.Name)
		}
		for _, s := range l.LanguageServers {
			if s == "" {
				t.Errorf("language %q has an empty server name", l.Name)
			}
		}
	}
	for _, want := range []string{"env", "python", "go", "rust", "typescript", "javascript", "c", "cpp", "java"} {
		if !names[want] {
			t.Errorf("language %q missing", want)
		}
	}
	checkServerStarts(t, append([]string{veil.Command}, veil.Args...), nil)
}

func TestZedExtension(t *testing.T) {
	var ext struct {
		ID              string `toml:"id"`
		Name            string `toml:"name"`
		Version         string `toml:"version"`
		SchemaVersion   int    `toml:"schema_version"`
		Description     string `toml:"description"`
		Authors         []string
		Repository      string `toml:"repository"`
		LanguageServers map[string]struct {
			Name      string   `toml:"name"`
			Languages []string `toml:"languages"`
		} `toml:"language_servers"`
	}
	b, err := os.ReadFile(filepath.Join("zed", "extension.toml"))
	must(t, err)
	if err := toml.Unmarshal(b, &ext); err != nil {
		t.Fatalf("zed/extension.toml: %v", err)
	}
	if ext.ID != "veil" || ext.SchemaVersion != 1 || ext.Version == "" {
		t.Errorf("extension.toml id %q schema_version %d version %q", ext.ID, ext.SchemaVersion, ext.Version)
	}
	ls, ok := ext.LanguageServers["veil"]
	if !ok || len(ls.Languages) == 0 {
		t.Fatalf("[language_servers.veil] missing or without languages: %+v", ext.LanguageServers)
	}
	for _, want := range []string{"Python", "Go", "Rust", "TypeScript", "JavaScript"} {
		if !slices.Contains(ls.Languages, want) {
			t.Errorf("language_servers.veil.languages lacks %q", want)
		}
	}

	var cargo struct {
		Lib struct {
			CrateType []string `toml:"crate-type"`
		} `toml:"lib"`
		Dependencies map[string]any `toml:"dependencies"`
	}
	b, err = os.ReadFile(filepath.Join("zed", "Cargo.toml"))
	must(t, err)
	if err := toml.Unmarshal(b, &cargo); err != nil {
		t.Fatalf("zed/Cargo.toml: %v", err)
	}
	if !slices.Contains(cargo.Lib.CrateType, "cdylib") || cargo.Dependencies["zed_extension_api"] == nil {
		t.Errorf("Cargo.toml: crate-type %v, deps %v; want cdylib and zed_extension_api", cargo.Lib.CrateType, cargo.Dependencies)
	}
	src, err := os.ReadFile(filepath.Join("zed", "src", "lib.rs"))
	must(t, err)
	for _, want := range []string{"language_server_command", "register_extension!", `"lsp"`, `which("veil")`} {
		if !strings.Contains(string(src), want) {
			t.Errorf("src/lib.rs lacks %s", want)
		}
	}

	var settings struct {
		LSP map[string]struct {
			Binary struct {
				Path      string   `json:"path"`
				Arguments []string `json:"arguments"`
			} `json:"binary"`
		} `json:"lsp"`
		Languages map[string]struct {
			LanguageServers []string `json:"language_servers"`
		} `json:"languages"`
	}
	decodeJSONStrict(t, filepath.Join("zed", "settings.json"), &settings)
	bin := settings.LSP["veil"].Binary
	if bin.Path == "" || len(bin.Arguments) == 0 || bin.Arguments[0] != "lsp" {
		t.Errorf("settings.json lsp.veil.binary = %+v, want a path and arguments [lsp ...]", bin)
	}
	for name, l := range settings.Languages {
		if !slices.Contains(l.LanguageServers, "veil") || !slices.Contains(l.LanguageServers, "...") {
			t.Errorf("settings.json languages.%s.language_servers = %q, want veil and \"...\"", name, l.LanguageServers)
		}
	}
	checkServerStarts(t, append([]string{"veil"}, bin.Arguments...), nil)
}

func decodeJSONStrict(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkServerStarts runs argv (with "veil"/"veil.exe" replaced by the built
// binary) the way an editor would and checks initialize advertises AI
// completion and shutdown/exit end it cleanly.
func checkServerStarts(t *testing.T, argv []string, initOpts map[string]any) {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("empty command line")
	}
	if base := filepath.Base(argv[0]); base == "veil" || base == "veil.exe" {
		argv = append([]string{veilBinary(t)}, argv[1:]...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = isolatedEnv(t)
	cmd.Dir = t.TempDir()
	c := startLSP(t, cmd)
	params := map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}
	if initOpts != nil {
		params["initializationOptions"] = initOpts
	}
	res := c.call(t, "initialize", params)
	if res.Error != nil {
		t.Fatalf("%q: initialize: %s", argv, res.Error)
	}
	var init struct {
		Capabilities map[string]json.RawMessage `json:"capabilities"`
	}
	if err := json.Unmarshal(res.Result, &init); err != nil {
		t.Fatalf("initialize result %s: %v", res.Result, err)
	}
	if init.Capabilities["completionProvider"] == nil && init.Capabilities["inlineCompletionProvider"] == nil {
		t.Errorf("%q advertises no completion: %s", argv, res.Result)
	}
	c.notify(t, "initialized", map[string]any{})
	c.shutdown(t)
}

// TestListenForPluginBackends follows jetbrains/README.md's recipe for a
// plugin backend that wants TCP: start `veil lsp --listen 127.0.0.1:0`, read
// the port from the "listening on" line on stderr, run one LSP session per
// connection (two here, one after the other), stop veil with an interrupt.
func TestListenForPluginBackends(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stops veil with an interrupt signal")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, veilBinary(t), "lsp", "--listen", "127.0.0.1:0")
	cmd.Env = isolatedEnv(t)
	cmd.Dir = t.TempDir()
	stderrPipe, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	// exited is closed once veil has exited; exitErr is its result.
	exited := make(chan struct{})
	var exitErr error
	stderr := &bytes.Buffer{}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			line := sc.Text()
			stderr.WriteString(line + "\n")
			if _, addr, ok := strings.Cut(line, "listening on "); ok {
				select {
				case addrc <- strings.TrimSpace(addr):
				default:
				}
			}
		}
		exitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	var addr string
	select {
	case addr = <-addrc:
	case <-exited:
		t.Fatalf("veil lsp --listen exited before listening: %v\n%s", exitErr, stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("no \"listening on\" line on stderr in 20s")
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("listening on %q, want 127.0.0.1:PORT", addr)
	}

	for i := range 2 {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("session %d: dial %s: %v", i, addr, err)
		}
		c := dialLSP(t, conn, &bytes.Buffer{})
		res := c.call(t, "initialize", map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}})
		if res.Error != nil {
			t.Fatalf("session %d: initialize: %s", i, res.Error)
		}
		c.notify(t, "initialized", map[string]any{})
		c.shutdown(t)
		conn.Close()
	}

	must(t, cmd.Process.Signal(os.Interrupt))
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("veil lsp --listen after interrupt: %v (want exit 0); stderr:\n%s", exitErr, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Error("veil lsp --listen did not stop on interrupt")
	}
}
