package cli

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionFrom derives plugincheck's version from the build information, so
// a binary says what it was built from without -ldflags: the module version
// for `go install …@vX`, else the VCS revision (with "-dirty" and the commit
// time) for a build from a checkout, else "(devel)".
func versionFrom(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "(devel)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	var b strings.Builder
	b.WriteString(rev)
	if dirty {
		b.WriteString("-dirty")
	}
	if at != "" {
		b.WriteString(" (" + at + ")")
	}
	return b.String()
}

// buildVersion reads this binary's build information.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	return versionFrom(bi, ok)
}

// versionText is what `plugincheck version` and `plugincheck --version`
// print: this binary's version and the GOST versions its verdicts follow.
func versionText() string {
	return fmt.Sprintf("plugincheck %s\nverdicts: %s\nprotocol: %s\n", Version, GOSTVersion, PluginVersion)
}
