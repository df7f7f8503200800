package mockclient

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// client, connection and server a test starts must be closed by its end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
