//go:build linux

package mockclient

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// retransmits is how many TCP segments the kernel has retransmitted on
// conn (TCP_INFO tcpi_total_retrans); 0 when it cannot tell. On loopback a
// retransmission means the plugin's side dropped a segment, as it does with
// the handshake's last ACK and the request when its accept queue is full.
func retransmits(conn net.Conn) uint32 {
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok { // *tls.Conn
		conn = nc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return 0
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	var n uint32
	_ = raw.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			n = info.Total_retrans
		}
	})
	return n
}
