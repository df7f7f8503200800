package check

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: every
// server, connection and client a check opens must be gone when it returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
