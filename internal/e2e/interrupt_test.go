package e2e

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSIGINT sends a real SIGINT to the binary while its first call hangs
// on a plugin that accepted the connection and never answers: it prints
// "plugincheck: interrupted", exits 130 and still writes its report.
func TestSIGINT(t *testing.T) {
	t.Parallel()
	mainBuild.wait(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	file := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.CommandContext(t.Context(), plugincheck, "auth", "--addr", "http://"+ln.Addr().String()+"/auth",
		"--call-timeout", "5m", "-o", "json="+file)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	require.NoError(t, cmd.Start())
	// The generous bound is for a hang, not for speed.
	select {
	case c, ok := <-accepted:
		require.True(t, ok, "no connection")
		t.Cleanup(func() { _ = c.Close() })
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("plugincheck never connected")
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "exit: %v; stderr %s", err, errOut.String())
	assert.Equal(t, 130, exit.ExitCode(), errOut.String())
	assert.True(t, strings.HasSuffix(errOut.String(), "plugincheck: interrupted\n"), "stderr %q", errOut.String())
	_, err = os.Stat(file)
	assert.NoError(t, err, "an interrupted run still writes its report")
}
