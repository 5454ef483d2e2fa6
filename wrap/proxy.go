package wrap

import (
	"bufio"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// refusingProxy is the child's HTTP(S) proxy: a loopback port that answers
// every request (CONNECT included) with 403 Forbidden and closes, so a
// request the child tries on its own fails at once instead of reaching the
// network. A plain close made the child's built-in MCP client retry about
// every 10 ms; a 403 makes it give up. Each attempt is counted and logged
// with the host it named.
type refusingProxy struct {
	ln       net.Listener
	logger   *slog.Logger
	attempts atomic.Int64
	wg       sync.WaitGroup
	seen     map[string]bool // targets already logged at warn; owned by serve
}

func startRefusingProxy(logger *slog.Logger) (*refusingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &refusingProxy{ln: ln, logger: logger, seen: map[string]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// URL is the proxy's address as the child's environment names it.
func (p *refusingProxy) URL() string { return "http://" + p.ln.Addr().String() }

// Attempts is how many connections the child opened to the proxy.
func (p *refusingProxy) Attempts() int64 { return p.attempts.Load() }

// Close stops accepting and waits for the accept loop.
func (p *refusingProxy) Close() error {
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *refusingProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.attempts.Add(1)
		p.refuse(c)
	}
}

// refuse reads the request line (briefly) to name the target host in the
// log, answers 403 and closes the connection.
func (p *refusingProxy) refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	line, _ := bufio.NewReaderSize(c, 512).ReadString('\n')
	_, _ = c.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	host := "unknown"
	if f := strings.Fields(line); len(f) >= 2 {
		host = f[1]
		if i := strings.Index(host, "://"); i >= 0 {
			host = host[i+3:]
		}
		host, _, _ = strings.Cut(host, "/")
	}
	if p.seen[host] {
		p.logger.Debug("wrap: the wrapped server tried to reach the network on its own; refused", "target", host, "attempts", p.attempts.Load())
		return
	}
	p.seen[host] = true
	p.logger.Warn("wrap: the wrapped server tried to reach the network on its own; refused (later attempts for this target log at debug)", "target", host)
}
