package lspproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/veil-dev/veil/localmodel"
)

// Transcripts: testdata/lsp/*.txtar hold a client session (client.jsonl,
// one message a line) and the server's answers (server.golden, normalised).
// They document the exact wire shapes editors see. After an intended
// change, regenerate with
//
//	go test ./lspproxy -run TestTranscripts -update

var update = flag.Bool("update", false, "rewrite testdata/lsp golden files")

// txtar is a minimal reader/writer for the txtar format: a comment, then
// files introduced by "-- name --" lines.
type txtar struct {
	comment string
	files   []txtarFile
}

type txtarFile struct{ name, data string }

func parseTxtar(s string) txtar {
	var a txtar
	cur := -1
	for _, line := range strings.SplitAfter(s, "\n") {
		t := strings.TrimRight(line, "\n")
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			a.files = append(a.files, txtarFile{name: t[3 : len(t)-3]})
			cur = len(a.files) - 1
			continue
		}
		if cur < 0 {
			a.comment += line
		} else {
			a.files[cur].data += line
		}
	}
	return a
}

func (a txtar) format() string {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, f := range a.files {
		b.WriteString("-- " + f.name + " --\n" + f.data)
	}
	return b.String()
}

func (a txtar) file(name string) string {
	for _, f := range a.files {
		if f.name == name {
			return f.data
		}
	}
	return ""
}

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	tokenRE = regexp.MustCompile(`(?i)veil_[a-z0-9_]+?_[0-9]{1,12}_[a-z0-9]{3}`)
)

// normalise re-encodes a server message with sorted keys and replaces what
// differs between runs (uuids, the vault's check characters).
func normalise(frame []byte) string {
	var v any
	_ = json.Unmarshal(frame, &v)
	b, _ := json.Marshal(v)
	s := uuidRE.ReplaceAllString(string(b), "<uuid>")
	return tokenRE.ReplaceAllStringFunc(s, func(tok string) string {
		return tok[:len(tok)-3] + "xxx"
	})
}

func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("../testdata/lsp/*.txtar")
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata/lsp")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			a := parseTxtar(string(data))
			got := runTranscript(t, a.file("client.jsonl"))
			if *update {
				for i := range a.files {
					if a.files[i].name == "server.golden" {
						a.files[i].data = got
					}
				}
				if a.file("server.golden") == "" {
					a.files = append(a.files, txtarFile{"server.golden", got})
				}
				if err := os.WriteFile(name, []byte(a.format()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := a.file("server.golden"); got != want {
				t.Errorf("server messages differ from server.golden (run with -update after an intended change)\n%s", lineDiff(want, got))
			}
		})
	}
}

// runTranscript sends each client line, waits for the answer to every
// request before sending the next line, and returns everything the server
// wrote, normalised, one message a line.
func runTranscript(t *testing.T, client string) string {
	m := &fakeModel{chat: func(_ context.Context, req localmodel.ChatRequest, onChunk func(string) error) (string, error) {
		reply := "It charges orders through " + tokenPattern.FindString(req.Message) + "."
		for _, ch := range []string{reply[:10], reply[10:]} {
			if err := onChunk(ch); err != nil {
				return "", err
			}
		}
		return reply, nil
	}}
	c := startClient(t, pipelineOptions(m))
	var out bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(client), "\n") {
		var msg struct {
			ID     any    `json:"id"`
			Method string `json:"method"`
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			t.Fatalf("client line %q: %v", line, err)
		}
		c.writeBody(line)
		if msg.Method == "exit" {
			break
		}
		if msg.ID == nil {
			continue
		}
		resp := c.response(msg.ID)
		for _, h := range append(c.held, resp) {
			b, _ := json.Marshal(h)
			out.WriteString(normalise(b) + "\n")
		}
		c.held = nil
	}
	return out.String()
}

// lineDiff shows the first differing line of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl
		}
	}
	return "(same lines, different endings)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
