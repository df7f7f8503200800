package cli

import (
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
)

func TestVersionFrom(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "(devel)"},
		{"go install at a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "v1.4.0"},
		{"tag wins over vcs", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: vcs("vcs.revision", "0123456789abcdef")}, true, "v1.4.0"},
		{"checkout, clean", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-11-26T22:00:00Z", "vcs.modified", "false")}, true, "0123456789ab (2026-11-26T22:00:00Z)"},
		{"checkout, dirty", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-11-26T22:00:00Z", "vcs.modified", "true")}, true, "0123456789ab-dirty (2026-11-26T22:00:00Z)"},
		{"checkout, no time", &debug.BuildInfo{Settings: vcs("vcs.revision", "abc")}, true, "abc"},
		{"no vcs (-buildvcs=false)", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "(devel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, versionFrom(tt.bi, tt.ok))
		})
	}
}

func TestVersionCommandAndFlag(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			io, _, out, _ := iostreams.Test()
			require.Equal(t, ExitOK, Main(context.Background(), args, io))
			assert.Equal(t, "plugincheck "+Version+"\nverdicts: "+GOSTVersion+"\nprotocol: "+PluginVersion+"\n", out.String())
			assert.NotEqual(t, "dev", Version)
		})
	}
}
