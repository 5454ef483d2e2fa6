package lspproxy

import "github.com/veil-dev/veil/chatlog"

// Chat history is kept here, per session (one editor connection), as the
// user wrote it and as the reply read after restore: every turn re-masks
// it under the configuration in force then, so a term added by a reload
// never goes out from an earlier turn, and two --listen connections share
// nothing even when their chat session ids collide.

// Limits of the kept history.
const (
	chatHistoryBudget = 24 << 10 // bytes of past turns per chat session
	chatSessionsMax   = 32       // least recently used sessions beyond this are forgotten
)

// newChatHistory holds the session's finished chat turns, unredacted. They
// never leave the process unmasked and are never logged.
func newChatHistory() *chatlog.Log { return chatlog.New(chatHistoryBudget, chatSessionsMax) }

// maskedHistory is the session's history masked under st now, and the
// values masked in it (for the leak guard). It is never nil, so the model
// client keeps no history of its own.
func (p *pipeline) maskedHistory(st *settings, id string) ([]redactedTurn, []string, error) {
	out := []redactedTurn{}
	var values []string
	for _, t := range p.chats.Turns(id) {
		u, uv, err := p.maskText(st, t.User)
		if err != nil {
			return nil, nil, err
		}
		a, av, err := p.maskText(st, t.Assistant)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, redactedTurn{user: u, assistant: a})
		values = append(append(values, uv...), av...)
	}
	return out, values, nil
}
