//go:build !linux

package h1

// rawSend is off: send writes with net.Conn and the reply is read as usual.
const rawSend = false

// sendThenWait is never called where rawSend is off.
func (c *conn) sendThenWait(uintptr) bool { return true }
