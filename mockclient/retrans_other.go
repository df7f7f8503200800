//go:build !linux

package mockclient

import "net"

// retransmits is Linux-only (TCP_INFO); elsewhere it cannot tell.
func retransmits(net.Conn) uint32 { return 0 }
