package lspproxy

import (
	"context"
	"log/slog"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/veil-dev/veil/audit"
)

// Side channels: what veil logs must carry no document content. Absolute
// paths (a home directory holds the user's name, a folder may be named
// after a codename) are logged as document names are: relative to their
// workspace root, or their base name, and masked like any other text.

// absPath finds absolute slash paths in log text.
var absPath = regexp.MustCompile(`(?:^|[\s"'=(\[])(/[^\s"'()\[\]:,]+)`)

// pathMaskingHandler rewrites the message and string attributes (and
// errors) so that every absolute path in them is a masked name (and, for a
// session, every workspace rule id its alias).
type pathMaskingHandler struct {
	inner slog.Handler
	s     *Server // nil: paths become their base names, unmasked
}

// PathMaskingHandler wraps h so that every absolute path in a log line is
// written as "…/" and its base name: for veil's own lines outside a session
// (configuration warnings at start). A session's logger also masks the
// names like document names.
func PathMaskingHandler(h slog.Handler) slog.Handler { return &pathMaskingHandler{inner: h} }

func (h *pathMaskingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *pathMaskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.maskPaths(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *pathMaskingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.s.maskPaths(v.String()))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.s.maskPaths(err.Error()))
		}
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	}
	return a
}

func (h *pathMaskingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i] = h.attr(a)
	}
	return &pathMaskingHandler{inner: h.inner.WithAttrs(masked), s: h.s}
}

func (h *pathMaskingHandler) WithGroup(name string) slog.Handler {
	return &pathMaskingHandler{inner: h.inner.WithGroup(name), s: h.s}
}

// aliasRules names the workspace rule ids in r by their alias.
func aliasRules(r *audit.Record, alias map[string]string) {
	if len(alias) == 0 {
		return
	}
	for id, a := range alias {
		if n, ok := r.Rules[id]; ok {
			delete(r.Rules, id)
			r.Rules[a] += n
		}
	}
	r.Reason = aliasText(r.Reason, alias)
}

// aliasText replaces each workspace rule id in text by its alias.
func aliasText(text string, alias map[string]string) string {
	for id, a := range alias {
		if id != "" {
			text = strings.ReplaceAll(text, id, a)
		}
	}
	return text
}

// maskPaths replaces every absolute path in text by its masked name, and
// each workspace rule id by its alias. A nil session writes base names.
func (s *Server) maskPaths(text string) string {
	if s != nil && s.ai != nil {
		text = aliasText(text, s.ai.settings().ruleAlias)
	}
	if !strings.Contains(text, "/") {
		return text
	}
	return absPath.ReplaceAllStringFunc(text, func(m string) string {
		i := strings.IndexByte(m, '/')
		return m[:i] + s.logName(m[i:])
	})
}

// logName is how a path appears in logs: relative to its workspace root
// (else its base name), masked.
func (s *Server) logName(p string) string {
	name := path.Base(p)
	if s == nil {
		return "…/" + name
	}
	if root := strings.TrimSuffix(s.workspaceRoot(p), "/"); root != "" {
		if rel, ok := strings.CutPrefix(p, root+"/"); ok {
			name = rel
		}
	}
	if s.ai == nil {
		return "…/" + name
	}
	masked, err := s.ai.maskString(s.ai.settings(), name)
	if err != nil {
		return "(path withheld)"
	}
	return "…/" + masked.String()
}

// uriName is the name of a document that has no file path (untitled:,
// vscode-notebook-cell:, …): its last segment, percent-decoded, so that an
// encoded value is masked like a plain one.
func uriName(u string) string {
	base := path.Base(u)
	if dec, err := url.PathUnescape(base); err == nil {
		return dec
	}
	return base
}
