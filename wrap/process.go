package wrap

import (
	"bufio"
	"io"
	"log/slog"
	"strings"
)

// childEnv is the editor's environment for the child (its GitHub token
// variables, HOME and XDG folders pass through) with every proxy variable
// pointing at the refusing proxy, NODE_USE_ENV_PROXY=1 so Node's own fetch
// honours it, and without NODE_TLS_REJECT_UNAUTHORIZED.
func childEnv(editor []string, proxyURL string) []string {
	out := make([]string, 0, len(editor)+7)
	for _, kv := range editor {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NODE_USE_ENV_PROXY", "NODE_TLS_REJECT_UNAUTHORIZED":
			continue
		}
		out = append(out, kv)
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		out = append(out, k+"="+proxyURL)
	}
	return append(out, "NODE_USE_ENV_PROXY=1")
}

// logLines copies the child's stderr to the log, one record per line,
// each line masked first (a server's debug output can quote code) and cut
// at 4 KiB. It reads until r ends, so the child never blocks on stderr.
func logLines(r io.Reader, logger *slog.Logger, mask func(string) string) {
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			logger.Debug("wrap: child stderr", "line", mask(strings.TrimRight(string(line), "\r\n")))
		}
		for err == bufio.ErrBufferFull {
			_, err = br.ReadSlice('\n')
		}
		if err != nil {
			return
		}
	}
}
