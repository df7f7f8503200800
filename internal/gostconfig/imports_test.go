package gostconfig

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImports holds the package to its contract: it reads configs as
// GOST does without linking GOST (go-gost/x, viper, mapstructure), and it
// sits beside check, importing only mockclient, report and clip of ours.
func TestImports(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const self = "github.com/plugincheck/plugincheck/internal/gostconfig"
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", self).Output()
	require.NoError(t, err)
	allowed := []string{"clip", "mockclient", "report", "internal/load", "mockclient/internal/"}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/go-gost/x", "github.com/spf13/viper", "mapstructure"} {
			assert.False(t, strings.HasPrefix(dep, banned), "gostconfig links %s", dep)
		}
		own, ok := strings.CutPrefix(dep, "github.com/plugincheck/plugincheck/")
		if !ok || dep == self {
			continue
		}
		okDep := false
		for _, a := range allowed {
			okDep = okDep || own == a || strings.HasSuffix(a, "/") && strings.HasPrefix(own, a)
		}
		assert.True(t, okDep, "gostconfig imports %s", own)
	}
}
