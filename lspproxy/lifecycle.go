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
	s.progress = p.Capabilities.Window.WorkDoneProgress
	s.client = client
	s.copilot = bytes.Contains(p.InitializationOptions, []byte(`"editorPluginInfo"`)) ||
		bytes.Contains(p.InitializationOptions, []byte(`"copilotCapabilities"`))
	copilot := s.copilot
	s.stateMu.Unlock()
	s.setRoots(roots)
	s.logger.Info("initialize", "client", logClientName(client), "position_encoding", encName, "roots", len(roots))
	s.ai.workspaceRoots(s.ctx, roots)

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
		s.logger.Debug("trace", "value", logTrace(p.Value))
	}
}

// encoding is the negotiated position encoding.
func (s *Server) encoding() Encoding {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.enc
}

func (s *Server) didChangeConfiguration(*message) {
	s.ai.reload()
}

func (s *Server) didChangeWorkspaceFolders(msg *message) {
	var p DidChangeWorkspaceFoldersParams
	if json.Unmarshal(msg.Params, &p) != nil {
		return
	}
	var removed, added []string
	for _, f := range p.Event.Removed {
		removed = append(removed, uriPath(f.URI))
	}
	for _, f := range p.Event.Added {
		added = append(added, uriPath(f.URI))
	}
	roots := s.changeRoots(removed, added)
	s.ai.workspaceRoots(s.ctx, roots)
}
