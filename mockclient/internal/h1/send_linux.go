package h1

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// rawSend turns send's wait on. It is Linux's: the argument in send rests
// on Go's netpoller over edge-triggered epoll.
const rawSend = true

// sendThenWait is send's RawConn.Read callback: the first call writes the
// request without blocking and asks to wait for readability (false);
// the next, after the wait, ends it.
func (c *conn) sendThenWait(fd uintptr) bool {
	if c.step {
		return true
	}
	c.step = true
	for c.sent < len(c.req) {
		n, err := syscall.Write(int(fd), c.req[c.sent:])
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return true
		case err != nil:
			// As net.Conn's Write reports it.
			c.werr = &net.OpError{Op: "write", Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError("write", err)}
			return true
		case n <= 0:
			return true
		}
		c.sent += n
	}
	return false
}
