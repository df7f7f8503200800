package load

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: Run
// promises that none outlives its results channel.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
