//go:build linux

package suites

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// TestLatencySYNRetry runs a step against a real HTTP plugin whose listen
// backlog overflows, as a stdlib Python plugin's does under the concurrent
// check, and asserts that the slow calls are explained as SYN retries.
func TestLatencySYNRetry(t *testing.T) {
	t.Parallel()
	const burst = 8
	ln, port, fd := backlogListener(t, 1)
	// The first call and its repeat are served at once. Then the server
	// holds every request of the concurrent burst until all have arrived,
	// so that no connection frees up and each call of the burst waits for a
	// connection of its own; and it stops accepting until its queue of two
	// has dropped a connection, which the client's kernel retries a second
	// later.
	var served atomic.Int64
	allIn, dropped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(dropped)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(10 * time.Second)
		for listenDrops(fd) == 0 {
			select {
			case <-tick.C:
			case <-deadline:
				return
			case <-t.Context().Done():
				return
			}
		}
	}()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch n := served.Add(1); {
			case n == 2+burst:
				close(allIn)
			case n > 2:
				select {
				case <-allIn:
				case <-time.After(10 * time.Second):
				case <-r.Context().Done():
				}
			}
			_, _ = w.Write([]byte(`{"ok":true,"id":"gost"}`))
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		_ = srv.Serve(&gatedListener{Listener: ln, gate: dropped, armed: func() bool { return served.Load() > 2 }})
	}()
	t.Cleanup(func() { _ = srv.Close() })

	c, err := mockclient.New(mockclient.Config{Addr: fmt.Sprintf("http://127.0.0.1:%d/auth", port), CallTimeout: 20 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	suite := "name: S\nmodule: auth\ncases: [{name: c, request: {username: gost, password: gost}}]\n"
	run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, suite), RunOptions{Concurrency: burst})
	require.NoError(t, err)

	st := run.Cases[0].Steps[0]
	ch := checkByName(t, st, CheckLatency)
	t.Logf("%s: %s", ch.Status, ch.Message)
	require.Positive(t, run.Latency.SYNRetries, "no call spent about 1 s in the TCP handshake (%d dropped); %s", listenDrops(fd), ch.Message)
	// Which segment the full queue drops depends on timing: a SYN (the
	// connect takes 1 s) or the handshake's last ACK (the request waits 1 s).
	assert.Contains(t, ch.Message, report.ListenBacklogCause)
	assert.True(t, strings.Contains(ch.Message, report.SYNRetryCause) || strings.Contains(ch.Message, report.SYNACKRetryCause), ch.Message)
	assert.NotEqual(t, report.Fail, ch.Status, "a default budget never fails: %s", ch.Message)
	assert.Equal(t, report.Pass, checkByName(t, st, CheckConcurrent).Status, "the retried calls still succeed")
}

// backlogListener listens on 127.0.0.1:0 with the given listen backlog,
// which net.Listen does not let one choose.
func backlogListener(t *testing.T, backlog int) (ln net.Listener, port, fd int) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	f := os.NewFile(uintptr(fd), "backlog-listener")
	t.Cleanup(func() { _ = f.Close() })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, backlog))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	ln, err = net.FileListener(f)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln, sa.(*syscall.SockaddrInet4).Port, fd
}

// gatedListener accepts freely until armed, then not until gate closes, so
// that connections beyond the accept queue are dropped by the kernel.
type gatedListener struct {
	net.Listener
	gate  <-chan struct{}
	armed func() bool
}

func (l *gatedListener) Accept() (net.Conn, error) {
	if l.armed() {
		<-l.gate
	}
	return l.Listener.Accept()
}

// listenDrops is how many connections the listening socket fd dropped
// (SO_MEMINFO's SK_MEMINFO_DROPS): SYNs, or handshakes' last ACKs, that
// found its accept queue full.
func listenDrops(fd int) uint32 {
	const soMeminfo, skMeminfoDrops, skMeminfoVars = 0x37, 8, 9
	var mem [skMeminfoVars]uint32
	size := uint32(unsafe.Sizeof(mem))
	_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, soMeminfo,
		uintptr(unsafe.Pointer(&mem)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 {
		return 0
	}
	return mem[skMeminfoDrops]
}
