package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersionFromCheckout checks that a binary built from this checkout
// names its VCS revision, read from the build information, rather than a
// placeholder. It builds its own binary with -buildvcs=true: TestMain's
// build follows GOFLAGS, which may say -buildvcs=false (CI machines often
// do), and a plain `go build` in a checkout stamps the revision.
func TestVersionFromCheckout(t *testing.T) {
	t.Parallel()
	head, err := exec.CommandContext(t.Context(), "git", "-C", repoRoot, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout, so the build has no revision: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(repoRoot, ".git")); err != nil || !fi.IsDir() {
		// A git worktree has a .git file, and go build stamps no VCS
		// information there (seen with Go 1.26); the binary then says
		// "(devel)", which TestVersionFrom covers.
		t.Skip("not a plain git checkout (a worktree?): go build stamps no revision")
	}
	bin := filepath.Join(t.TempDir(), "plugincheck")
	build := exec.CommandContext(t.Context(), "go", "build", "-buildvcs=true", "-o", bin, "./cmd/plugincheck")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.CommandContext(t.Context(), bin, "version").Output()
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(out), "\n")
	// Go stamps a checkout's build with a pseudo-version that ends in the
	// revision (v0.0.0-20261126231342-0a214fd980b5, +dirty when
	// modified); older Go leaves the version "(devel)" and versionFrom
	// names the revision itself. Either way the line names the commit.
	assert.True(t, strings.HasPrefix(first, "plugincheck "), first)
	assert.Contains(t, first, strings.TrimSpace(string(head))[:12], "version line %q does not name revision %s", first, head)
	assert.Contains(t, string(out), "verdicts: github.com/go-gost/x")
}
