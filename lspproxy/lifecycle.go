package lspproxy

import (
	"bytes"
	"encoding/json"
	"slices"
)

func (s *Server) initialize(msg *message) (any, error) {
	var p InitializeParams
	if err := decode(msg.Params, &p); err != nil {
		return nil, err
	}
	enc, encName := UTF16, "utf-16"
	if slices.Contains(p.Capabilities.General.PositionEncodings, "utf-8") {
		enc, encName = UTF8, "utf-8"
	}
	var roots []string
	for _, f := range p.WorkspaceFolders {
		if path := uriPath(f.URI); path != "" {
			roots = append(roots, path)
		}
	}
	if len(roots) == 0 && p.RootURI != nil {
		if path := uriPath(*p.RootURI); path != "" {
			roots = append(roots, path)
		}
	}
	if len(roots) == 0 && p.RootPath != nil && *p.RootPath != "" {
		roots = append(roots, *p.RootPath)
	}
	client := ""
	if p.ClientInfo != nil {
		client = p.ClientInfo.Name
	}
	s.stateMu.Lock()
	s.state = stateInitialized
	s.enc = enc
	s.roots = roots
	s.progress = p.Capabilities.Window.WorkDoneProgress
	s.client = client
	s.copilot = bytes.Contains(p.InitializationOptions, []byte(`"editorPluginInfo"`)) ||
		bytes.Contains(p.InitializationOptions, []byte(`"copilotCapabilities"`))
	copilot := s.copilot
	s.stateMu.Unlock()
	s.logger.Info("initialize", "client", client, "positionEncoding", encName, "roots", len(roots))
	s.ai.workspaceRoots(roots)

	return map[string]any{
		"capabilities": s.routes.capabilities(encName, copilot),
		"serverInfo":   map[string]any{"name": "veil", "version": s.opts.Version},
	}, nil
}

func (s *Server) shutdown(*message) (any, error) {
	s.stateMu.Lock()
	s.state = stateShutdown
	s.stateMu.Unlock()
	return nil, nil
}

func (s *Server) setTrace(msg *message) {
	var p struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(msg.Params, &p) == nil {
		s.logger.Debug("trace", "value", p.Value)
	}
}

// encoding is the negotiated position encoding.
func (s *Server) encoding() Encoding {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.enc
}

// workspaceRoot is the longest root containing path ("" if none).
func (s *Server) workspaceRoot(path string) string {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	best := ""
	for _, r := range s.roots {
		if len(r) > len(best) && (path == r || len(path) > len(r) && path[:len(r)] == r && (path[len(r)] == '/' || r[len(r)-1] == '/')) {
			best = r
		}
	}
	return best
}

func (s *Server) didChangeConfiguration(*message) {
	s.ai.reload()
}

func (s *Server) didChangeWorkspaceFolders(msg *message) {
	var p DidChangeWorkspaceFoldersParams
	if json.Unmarshal(msg.Params, &p) != nil {
		return
	}
	s.stateMu.Lock()
	for _, f := range p.Event.Removed {
		path := uriPath(f.URI)
		s.roots = slices.DeleteFunc(s.roots, func(r string) bool { return r == path })
	}
	for _, f := range p.Event.Added {
		if path := uriPath(f.URI); path != "" && !slices.Contains(s.roots, path) {
			s.roots = append(s.roots, path)
		}
	}
	roots := slices.Clone(s.roots)
	s.stateMu.Unlock()
	s.ai.workspaceRoots(roots)
}
