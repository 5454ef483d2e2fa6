package localmodel

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/veil-dev/veil/config"
)

// Model is a local model veil may send redacted text to. The OpenAI-compatible
// client and the built-in offline model implement it. Implementations are safe
// for concurrent use.
//
// Every text a caller passes in (prefix, suffix, neighbour snippets, chat
// messages, references) must already be redacted: this package sends it to the
// model as given and never inspects it for secrets. Models that hold network
// connections also implement io.Closer; call Close when done with them.
type Model interface {
	// Complete returns the text to insert at the cursor. An empty Text means
	// the model has nothing to suggest; it is never only whitespace. Complete
	// blocks until the answer is complete or ctx ends; cancelling ctx stops
	// the HTTP request at once and returns an error wrapping ctx.Err().
	// req holds redacted text only.
	Complete(ctx context.Context, req FIMRequest) (Completion, error)

	// Chat streams the reply to req. onChunk receives each piece of the
	// reply in order, on the calling goroutine; an error from onChunk stops
	// the stream and is returned wrapped. Chat returns the full reply. On any
	// error the session history is left as it was. req holds redacted text
	// only; the reply may contain the placeholder tokens found in it.
	Chat(ctx context.Context, req ChatRequest, onChunk func(string) error) (string, error)

	// ID is the model id requests go to, for the audit record: "builtin" or
	// the configured model.name, e.g. "qwen2.5-coder:1.5b".
	ID() string
}

// Trigger says how a completion was requested; it decides where the
// suggestion stops. The values match LSP's InlineCompletionTriggerKind.
type Trigger int

const (
	// Invoked: the user asked explicitly; the suggestion may span a block.
	Invoked Trigger = 1
	// Automatic: requested while typing; the suggestion ends at the end of
	// the line. The zero Trigger behaves like Automatic.
	Automatic Trigger = 2
)

func (t Trigger) String() string {
	if t == Invoked {
		return "invoked"
	}
	return "automatic"
}

// FIMRequest asks for a fill-in-the-middle completion. All text is redacted.
type FIMRequest struct {
	// Prefix and Suffix are the redacted text before and after the cursor,
	// already cut to the context window (see BuildContext).
	Prefix, Suffix string
	// Path is the document's workspace-relative path; it heads the prompt
	// as a comment so the model knows the file and its language.
	Path string
	// Language is the LSP language id ("go", "python", ...); it picks the
	// comment syntax of the headers.
	Language string
	// Neighbors are redacted snippets of other open documents, most relevant
	// first; they go ahead of the prefix as comment-headed blocks.
	Neighbors []Snippet
	// Trigger decides the stop boundary: end of line or end of block.
	Trigger Trigger
	// Multiline lets an Automatic request span a block, as Copilot's
	// plugins expect, when the cursor ends a block opener ({ ( [ or :) or
	// sits on an empty line, with nothing after it on its line. Otherwise
	// it changes nothing.
	Multiline bool
	// MaxTokens caps the generated tokens; 0 means model.max_tokens.
	MaxTokens int
}

// Snippet is redacted text from an open document, named by its
// workspace-relative path.
type Snippet struct {
	Path, Text string
	// Index, when set, is IndexWords(Text), built once by whoever keeps
	// the snippet (a neighbour document's version) so that choosing its
	// window for each request does not read the text again.
	Index *WordIndex `json:"-"`
}

// Completion is the text to insert at the cursor and the model that wrote it.
type Completion struct {
	Text  string
	Model string
}

// ChatRequest is one user turn of a chat. All text is redacted.
type ChatRequest struct {
	// SessionID groups turns into a conversation whose history is resent
	// (within a byte budget); "" means no history.
	SessionID string
	// Message is the user's redacted message.
	Message string
	// References are redacted documents the user attached to the turn.
	References []Snippet
	// History holds the session's earlier turns, oldest first, redacted by
	// the caller under the configuration in force now (a term added since
	// an earlier turn is masked in it too). When it is non-nil the client
	// neither resends nor updates its own history of SessionID: the caller
	// keeps the conversation.
	History []Turn
	// TokenPattern, if set, matches the placeholder tokens the caller put
	// into the text. Only the built-in model uses it: its reply counts the
	// matches, per category when the pattern has a group named "category".
	// Network models ignore it. It is never applied to unredacted text.
	TokenPattern *regexp.Regexp
}

// Turn is one earlier exchange of a chat, redacted.
type Turn struct {
	User, Assistant string
}

// FIM prompt formats for model.fim.
const (
	FIMSuffix    = "suffix"    // prompt + suffix fields of /v1/completions; the server builds the FIM prompt (Ollama)
	FIMQwen      = "qwen"      // <|fim_prefix|>…<|fim_suffix|>…<|fim_middle|> (Qwen2.5-Coder, CodeQwen)
	FIMStarCoder = "starcoder" // <fim_prefix>…<fim_suffix>…<fim_middle> (StarCoder, StarCoder2)
	FIMCodeLlama = "codellama" // <PRE> … <SUF>… <MID> (Code Llama 7B/13B base)
	FIMDeepSeek  = "deepseek"  // <｜fim▁begin｜>…<｜fim▁hole｜>…<｜fim▁end｜> (DeepSeek-Coder)
)

// Backends for model.backend.
const (
	BackendBuiltin = "builtin"
	BackendOpenAI  = "openai"
)

// BuiltinID is the ID of the built-in model.
const BuiltinID = "builtin"

// DefaultConfig returns the defaults of the model.* keys, the values of
// config/defaults.yaml: the built-in model until an endpoint is set (the
// backend is left empty, meaning auto, which is what config's loader does with
// its default "builtin" once an endpoint is set), FIM through the server's suffix
// field, 128 tokens per completion, temperature 0.2, 10 s per completion
// (in chat: per wait for the next chunk, with the whole reply capped at 10 ×
// that) and 4 s until the first token. A cold model load in Ollama can take
// longer than 4 s on slow disks: raise first_token_timeout there. No pins:
// the probe checks that model.name is served.
func DefaultConfig() config.Model {
	return config.Model{
		Backend:           "", // auto: builtin without an endpoint, openai with one
		Endpoint:          "",
		Name:              "",
		APIKeyEnv:         "",
		FIM:               FIMSuffix,
		MaxTokens:         128,
		Temperature:       0.2,
		Timeout:           10 * time.Second,
		FirstTokenTimeout: 4 * time.Second,
	}
}

// New validates c and returns the model it selects: the built-in model when
// model.backend is "builtin", or when it is empty and no endpoint is set;
// the OpenAI-compatible client otherwise. getenv reads the API key from the
// variable model.api_key_env names. logger may be nil. New does no network
// I/O; call Probe for that.
//
// An "openai" backend without an endpoint is an error, not a silent switch
// to the built-in model: veil never answers from a model the user did not
// choose.
func New(c config.Model, getenv func(string) string, logger *slog.Logger) (Model, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch c.Backend {
	case BackendBuiltin:
		return newBuiltin(), nil
	case "":
		if c.Endpoint == "" {
			return newBuiltin(), nil
		}
		return newClient(c, getenv, logger)
	case BackendOpenAI:
		if c.Endpoint == "" {
			return nil, configErr("model.backend is %q but model.endpoint is empty", BackendOpenAI)
		}
		return newClient(c, getenv, logger)
	default:
		return nil, configErr("model.backend %q: want %q or %q", c.Backend, BackendOpenAI, BackendBuiltin)
	}
}

// Probe checks that the model m is ready and is what the config pins. For the
// OpenAI-compatible client it lists /v1/models and requires model.name to be
// served; when model.pin carries a digest it reads Ollama's /api/tags and
// requires the digest to match. Probe returns nil for the built-in model and
// for any Model not created by New.
func Probe(ctx context.Context, m Model) error {
	c, ok := m.(*client)
	if !ok {
		return nil
	}
	return c.probe(ctx)
}

func configErr(format string, args ...any) error {
	return &Error{Kind: ErrConfig, Detail: fmt.Sprintf(format, args...)}
}
