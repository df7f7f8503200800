package parity

import (
	"context"
	"testing"

	"github.com/go-gost/core/hop"
	"github.com/go-gost/core/logger"
	"github.com/go-gost/x/config"
	"github.com/go-gost/x/config/loader"
	"github.com/go-gost/x/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/gostconfig"
	"github.com/plugincheck/plugincheck/report"
)

// missingName is registered nowhere: GOST's registries hand out a wrapper
// for it that finds nothing on every call.
const missingName = "plugincheck-parity-missing"

// TestUnknownComponentConsequences pins the consequences gostconfig's
// unknown-component findings state to what x v0.15.2's registry wrappers
// do for a name with nothing registered, and the finding's severity to
// them.
func TestUnknownComponentConsequences(t *testing.T) {
	ctx := context.Background()
	severity := func(section string) report.Status {
		t.Helper()
		d, err := gostconfig.Parse("gost.yml", []byte("services:\n- name: s\n  handler: {type: tcp}\n  "+
			map[string]string{
				"authers":    "listener: {auther: " + missingName + "}",
				"admissions": "admission: " + missingName,
				"bypasses":   "bypass: " + missingName,
				"resolvers":  "resolver: " + missingName,
				"hosts":      "hosts: " + missingName,
				"limiters":   "limiter: " + missingName,
				"observers":  "observer: " + missingName,
				"chains":     "listener: {chain: " + missingName + "}",
				"hops":       "forwarder: {hop: " + missingName + "}",
			}[section]+"\n"))
		require.NoError(t, err)
		require.Len(t, d.Findings, 1, section)
		return d.Findings[0].Severity
	}

	_, ok := registry.AutherRegistry().Get(missingName).Authenticate(ctx, "anyone", "wrong")
	assert.True(t, ok, "x lets every client in through a missing auther")
	assert.Equal(t, report.Fail, severity("authers"))

	assert.False(t, registry.AdmissionRegistry().Get(missingName).Admit(ctx, "tcp", "127.0.0.1:1"), "x admits nothing through a missing admission")
	assert.Equal(t, report.Fail, severity("admissions"))

	_, err := registry.ResolverRegistry().Get(missingName).Resolve(ctx, "ip", "example.com")
	assert.Error(t, err, "x fails every lookup through a missing resolver")
	assert.Equal(t, report.Fail, severity("resolvers"))

	assert.Nil(t, registry.ChainRegistry().Get(missingName).Route(ctx, "tcp", "example.com:80"), "x routes nowhere (direct) through a missing chain")
	assert.Equal(t, report.Fail, severity("chains"))

	assert.Nil(t, registry.HopRegistry().Get(missingName).Select(ctx, hop.AddrSelectOption("example.com:80")), "x has no node in a missing hop")
	assert.Equal(t, report.Fail, severity("hops"))

	assert.False(t, registry.BypassRegistry().Get(missingName).Contains(ctx, "tcp", "example.com:80"), "x bypasses nothing through a missing bypass")
	assert.Equal(t, report.Warn, severity("bypasses"))

	_, found := registry.HostsRegistry().Get(missingName).Lookup(ctx, "ip", "example.com")
	assert.False(t, found, "x maps no host through a missing hosts")
	assert.Equal(t, report.Warn, severity("hosts"))

	assert.Nil(t, registry.TrafficLimiterRegistry().Get(missingName).In(ctx, "k"), "x applies no limit through a missing limiter")
	assert.Equal(t, report.Warn, severity("limiters"))

	assert.NoError(t, registry.ObserverRegistry().Get(missingName).Observe(ctx, nil), "x reports nothing through a missing observer")
	assert.Equal(t, report.Warn, severity("observers"))
}

// TestDuplicateNameRefused: x's loader refuses a config with two authers of
// one name, as gostconfig's duplicate-name finding says.
func TestDuplicateNameRefused(t *testing.T) {
	gostLoadMu.Lock()
	t.Cleanup(gostLoadMu.Unlock) // registered first, so it runs last
	prevLogger := logger.Default()
	t.Cleanup(func() { logger.SetDefault(prevLogger) })
	const src = "authers:\n- name: dup\n  auths: [{username: u, password: p}]\n- name: dup\n  auths: [{username: v, password: q}]\n"
	cfg, err := readWithX(t, "gost.yml", []byte(src))
	require.NoError(t, err)
	t.Cleanup(func() { unregisterComponents(cfg) })
	assert.ErrorIs(t, loader.Load(&config.Config{Authers: cfg.Authers}), registry.ErrDup)

	d, err := gostconfig.Parse("gost.yml", []byte(src))
	require.NoError(t, err)
	require.Len(t, d.Findings, 1)
	assert.Equal(t, gostconfig.CodeDuplicateName, d.Findings[0].Code)
	assert.Equal(t, report.Fail, d.Findings[0].Severity)
	assert.Equal(t, 4, d.Findings[0].Line)
}
