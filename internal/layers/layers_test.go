// Package layers holds one test: the import rules of docs/architecture.md,
// checked with `go list -deps` so that a layer crossing fails CI rather
// than waiting for a reviewer.
package layers

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/plugincheck/plugincheck"

// deps lists the project packages pkg imports, directly or not, itself
// excluded, as `go list -deps` prints them.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", module+"/"+pkg).Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	var own []string
	for _, p := range strings.Fields(string(out)) {
		// mockclient/internal/… are parts of mockclient (its lean HTTP/1.1
		// wire client), held to their own row below.
		if strings.HasPrefix(p, module+"/mockclient/internal/") && !strings.HasPrefix(pkg, "mockclient/internal/") {
			continue
		}
		if p != module+"/"+pkg && (p == module || strings.HasPrefix(p, module+"/")) {
			own = append(own, strings.TrimPrefix(p, module+"/"))
		}
	}
	return own
}

func oneOf(dep string, allowed ...string) bool {
	for _, a := range allowed {
		if dep == a {
			return true
		}
	}
	return false
}

func TestLayers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pkg    string
		allow  func(dep string) bool
		reason string
	}{
		{
			pkg:    "internal/load",
			allow:  func(string) bool { return false },
			reason: "the load engine generates traffic and knows nothing of GOST or of reports",
		},
		{
			pkg:    "internal/tlsprobe",
			allow:  func(dep string) bool { return dep == "clip" },
			reason: "tlsprobe is a leaf with its own types: neither report nor mockclient",
		},
		{
			pkg:    "suites",
			allow:  func(dep string) bool { return !strings.HasPrefix(dep, "internal/") },
			reason: "suites is public and decides what to check; it imports no internal package",
		},
		{
			pkg:    "mockclient",
			allow:  func(dep string) bool { return dep == "clip" },
			reason: "mockclient speaks to plugins as GOST does and sits below everything else",
		},
		{
			pkg:    "mockclient/internal/h1",
			allow:  func(dep string) bool { return dep == "clip" },
			reason: "the lean HTTP/1.1 client is a wire loop and knows nothing of GOST",
		},
		{
			pkg:    "report",
			allow:  func(dep string) bool { return dep == "clip" || dep == "internal/load" },
			reason: "report renders; it knows the result models and nothing that makes calls",
		},
		{
			pkg:    "internal/probe",
			allow:  func(dep string) bool { return oneOf(dep, "clip", "mockclient", "report", "internal/tlsprobe") },
			reason: "the TLS audit plays GOST's clients and fills the report's TLS section, nothing more",
		},
		{
			pkg:    "internal/gostconfig",
			allow:  func(dep string) bool { return oneOf(dep, "clip", "mockclient", "report", "internal/load") },
			reason: "gostconfig reads GOST configs into plugin settings and findings; it runs no check",
		},
		{
			pkg:    "internal/loadmix",
			allow:  func(dep string) bool { return oneOf(dep, "clip", "mockclient", "suites", "report", "internal/load") },
			reason: "loadmix turns fixtures into load calls (report only through suites); it runs no whole check",
		},
		{
			pkg: "check",
			allow: func(dep string) bool {
				return dep != "internal/cli" && dep != "internal/refplugin" && dep != "internal/iostreams"
			},
			reason: "check runs a module check as a library; the command line sits above it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			t.Parallel()
			for _, dep := range deps(t, tt.pkg) {
				assert.True(t, tt.allow(dep), "%s imports %s: %s", tt.pkg, dep, tt.reason)
			}
		})
	}
}
