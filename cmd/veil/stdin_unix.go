//go:build unix

package main

import (
	"io"
	"os"
	"syscall"
)

// pollableStdin returns r (the process's stdin) as a file the runtime's
// poller manages when it is a pipe or a socket, so that closing it, which
// the session does after exit, interrupts a blocked read. os.Stdin on a pipe
// is in blocking mode: a Close leaves the read blocked and veil lsp would not
// exit until the editor closed the pipe. A terminal is left alone (its
// non-blocking flag is shared with the shell).
func pollableStdin(r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok {
		return r
	}
	info, err := f.Stat()
	if err != nil || info.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return r
	}
	fd := f.Fd()
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		return r
	}
	return os.NewFile(fd, f.Name())
}
