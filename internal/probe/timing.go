package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// timing is how a probe bounds and measures its connections: the bound of
// each connect and read, and how long a connection took to be ready. The
// zero value is the real one (Timeout, time.Since); tests give a longer
// bound and a fixed measure, so that a loaded machine changes no verdict.
type timing struct {
	// timeout bounds each connect and read, and is the least a TLS
	// handshake gets; 0 means Timeout.
	timeout time.Duration
	// since measures a connection from its start; nil means time.Since.
	since func(time.Time) time.Duration
}

func (t timing) limit() time.Duration {
	if t.timeout > 0 {
		return t.timeout
	}
	return Timeout
}

func (t timing) elapsed(start time.Time) time.Duration {
	if t.since != nil {
		return t.since(start)
	}
	return time.Since(start)
}

func (t timing) dial(ctx context.Context, ep endpoint) (net.Conn, outcome) {
	d := net.Dialer{Timeout: t.limit()}
	conn, err := d.DialContext(ctx, ep.network, ep.address)
	if err == nil {
		return conn, outcome{}
	}
	var dnsErr *net.DNSError
	var ne net.Error
	out := outcome{kind: kindUnreachable}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		out.reason = fmt.Sprintf("connection refused: nothing is listening on %s", ep.address)
	case errors.As(err, &dnsErr):
		out.reason = fmt.Sprintf("cannot resolve %q: %v", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &ne) && ne.Timeout():
		out.reason = fmt.Sprintf("no answer from %s within %s", ep.address, t.limit())
	default:
		out.reason = fmt.Sprintf("cannot connect to %s: %v", ep.address, err)
	}
	return nil, out
}

// exchange writes greeting and returns the first bytes the peer sends back,
// and the read error if fewer than a frame header arrived.
func (t timing) exchange(ctx context.Context, conn net.Conn, greeting []byte) ([]byte, error) {
	deadline := time.Now().Add(t.limit())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write(greeting); err != nil {
		return nil, fmt.Errorf("write greeting: %w", err)
	}
	buf := make([]byte, 512)
	n, err := io.ReadAtLeast(conn, buf, 9)
	return buf[:n], err
}
