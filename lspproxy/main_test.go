package lspproxy

import (
	"testing"

	"go.uber.org/goleak"
)

// Every session, request goroutine, watcher and test server a test starts
// must have stopped when the package's tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
