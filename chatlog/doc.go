// Package chatlog keeps the recent turns of chat sessions: per session id,
// the turns in order within a byte budget, and at most a given number of
// sessions (the least recently used is forgotten first).
//
// It stores whatever text its caller gives it and never logs or sends it:
// lspproxy keeps each session's turns as the user wrote them (they are
// masked again at every turn), localmodel's network client the redacted
// turns it sent when its caller keeps no history.
//
// May import: nothing of veil's.
package chatlog
