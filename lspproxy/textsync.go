package lspproxy

import "encoding/json"

// Text synchronisation: the mirror follows the client. These run on the read
// loop, in order, so a request that arrives after a change sees it.

func (s *Server) didOpen(msg *message) {
	var p DidOpenTextDocumentParams
	if err := json.Unmarshal(msg.Params, &p); err != nil {
		s.logger.Warn("didOpen: bad params", "error", err)
		return
	}
	doc := s.docs.open(p.TextDocument)
	s.ai.documentOpened(doc)
	s.documentChanged(doc)
}

func (s *Server) didChange(msg *message) {
	var p DidChangeTextDocumentParams
	if err := s.loopJSON.decode(msg.Params, &p); err != nil { // on the read loop
		s.logger.Warn("didChange: bad params", "error", err)
		return
	}
	doc, err := s.docs.change(p, s.encoding())
	if err != nil {
		s.logger.Warn("didChange", "error", err)
	}
	if doc != nil {
		s.documentChanged(doc)
	}
}

func (s *Server) didClose(msg *message) {
	var p DidCloseTextDocumentParams
	if err := json.Unmarshal(msg.Params, &p); err != nil {
		return
	}
	s.docs.close(p.TextDocument.URI)
	s.ai.documentClosed(p.TextDocument.URI)
	s.documentClosed(p.TextDocument.URI)
}
