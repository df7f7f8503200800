package parity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/gostconfig"
)

// TestGostconfigValueParity writes every plugin-block field with values of
// every shape (strings with and without units, integers, floats, booleans,
// YAML-only spellings, nulls, lists, mappings), in YAML and in JSON, and
// checks that gostconfig.Parse accepts exactly what x's loader accepts and
// reads the same plugin from it. The one deliberate difference: a type
// that is neither grpc nor http, which x silently reads as gRPC, is
// refused.
func TestGostconfigValueParity(t *testing.T) {
	fields := []string{"type", "addr", "token", "timeout", "tls.secure", "tls.serverName", "tls.caFile", "tls.validity", "tls.rejectUnknownSNI", "tls.serverNames", "tls.options.alpn", "tls.options.minVersion"}
	yamlValues := []string{`10s`, `10`, `"10"`, `1.5`, `-5`, `true`, `yes`, `"true"`, `null`, `~`, `[]`, `{}`, `[a, b]`, `{a: 1}`, `0x10`, `1e3`, `""`, `"0"`, `HTTP`, `http`, `grpc`, `0`, `on`, `2001-12-14`}
	jsonValues := []string{`"10s"`, `10`, `"10"`, `1.5`, `-5`, `true`, `"yes"`, `"true"`, `null`, `[]`, `{}`, `["a", "b"]`, `{"a": 1}`, `1e3`, `""`, `"0"`, `"HTTP"`, `"http"`, `"grpc"`, `0`, `12345678901234567890`}
	for _, format := range []string{"yaml", "json"} {
		values := yamlValues
		if format == "json" {
			values = jsonValues
		}
		for _, field := range fields {
			for _, val := range values {
				name := fmt.Sprintf("%s/%s=%s", format, field, val)
				t.Run(name, func(t *testing.T) {
					data := blockWith(format, field, val)
					cfg, xerr := readWithX(t, "gost."+format, []byte(data))
					d, err := gostconfig.Parse("gost."+format, []byte(data))
					if xerr != nil {
						require.Error(t, err, "x refuses %s", data)
						return
					}
					if field == "type" && err != nil {
						assert.ErrorContains(t, err, "unknown plugin type")
						return
					}
					require.NoError(t, err, "x accepts %s", data)
					assert.Equal(t, xPlugins(t, cfg), ours(d))
				})
			}
		}
	}
}

// blockWith is a config with one bypass plugin whose field (a dotted path
// under plugin) holds val.
func blockWith(format, field, val string) string {
	parts := strings.Split(field, ".")
	if format == "yaml" {
		var b strings.Builder
		b.WriteString("bypasses:\n- name: b\n  plugin:\n")
		if parts[0] != "addr" {
			b.WriteString("    addr: 127.0.0.1:9000\n")
		}
		indent := "    "
		for i, p := range parts {
			if i == len(parts)-1 {
				fmt.Fprintf(&b, "%s%s: %s\n", indent, p, val)
			} else {
				fmt.Fprintf(&b, "%s%s:\n", indent, p)
				indent += "  "
			}
		}
		return b.String()
	}
	inner := val
	for i := len(parts) - 1; i >= 0; i-- {
		inner = fmt.Sprintf("{%q: %s}", parts[i], inner)
	}
	inner = strings.TrimSuffix(strings.TrimPrefix(inner, "{"), "}")
	addr := `"addr": "127.0.0.1:9000", `
	if parts[0] == "addr" {
		addr = ""
	}
	return fmt.Sprintf(`{"bypasses": [{"name": "b", "plugin": {%s%s}}]}`, addr, inner)
}

// TestGostconfigServiceValueParity does the same for the service fields
// gostconfig reads to find a plugin's users: x refuses a wrong type in any
// of them, and so must gostconfig.
func TestGostconfigServiceValueParity(t *testing.T) {
	fields := []string{"name", "bypass", "bypasses", "admissions", "handler.type", "handler.auther", "handler.authers", "handler.chain", "listener.type", "forwarder.hop", "recorders", "handler.chainGroup.chains"}
	values := []string{`b`, `10`, `1.5`, `true`, `null`, `[]`, `{}`, `[b, c]`, `{a: 1}`, `[{chain: c}]`, `[[x]]`}
	for _, field := range fields {
		for _, val := range values {
			t.Run(field+"="+val, func(t *testing.T) {
				var b strings.Builder
				b.WriteString("bypasses:\n- name: b\n  plugin: {addr: 127.0.0.1:9000}\nservices:\n- name: s\n  addr: :0\n")
				indent := "  "
				parts := strings.Split(field, ".")
				for i, p := range parts {
					if i == len(parts)-1 {
						fmt.Fprintf(&b, "%s%s: %s\n", indent, p, val)
					} else {
						fmt.Fprintf(&b, "%s%s:\n", indent, p)
						indent += "  "
					}
				}
				data := b.String()
				_, xerr := readWithX(t, "gost.yaml", []byte(data))
				_, err := gostconfig.Parse("gost.yaml", []byte(data))
				if xerr != nil {
					assert.Error(t, err, "x refuses:\n%s", data)
				} else {
					assert.NoError(t, err, "x accepts:\n%s", data)
				}
			})
		}
	}
}

// TestGostconfigReferenceValueParity does the same for the other places
// gostconfig reads names from: chains and their hops, the hops section,
// resolvers' nameservers, forwarders, nodes and the api block.
func TestGostconfigReferenceValueParity(t *testing.T) {
	bases := []struct{ prefix, fields string }{
		{"chains:\n- name: c\n  hops:\n  - name: h\n", "name bypass bypasses resolver hosts nodes plugin"},
		{"hops:\n- name: h\n", "bypass bypasses resolver hosts nodes"},
		{"hops:\n- name: h\n  nodes:\n  - name: n\n", "bypass bypasses resolver hosts http"},
		{"resolvers:\n- name: r\n  nameservers:\n  - addr: 1.1.1.1\n", "chain"},
		{"services:\n- name: s\n  forwarder:\n", "hop name nodes hopGroup"},
		{"api:\n  addr: :0\n", "auther"},
		{"metrics:\n  addr: :0\n", "auther"},
		{"", "services chains hops authers api"},
	}
	values := []string{`b`, `10`, `true`, `null`, `[]`, `{}`, `[b, c]`, `{a: 1}`, `[{name: x}]`, `[[x]]`}
	for _, base := range bases {
		for _, field := range strings.Fields(base.fields) {
			for _, val := range values {
				t.Run(fmt.Sprintf("%s%s=%s", strings.ReplaceAll(base.prefix, "\n", "/"), field, val), func(t *testing.T) {
					data := base.prefix + lastIndent(base.prefix) + field + ": " + val + "\n"
					_, xerr := readWithX(t, "gost.yaml", []byte(data))
					_, err := gostconfig.Parse("gost.yaml", []byte(data))
					if xerr != nil {
						assert.Error(t, err, "x refuses:\n%s", data)
					} else {
						assert.NoError(t, err, "x accepts:\n%s", data)
					}
				})
			}
		}
	}
}

// lastIndent is the indentation for a new key of the last mapping in
// prefix: that of its last line's key.
func lastIndent(prefix string) string {
	lines := strings.Split(strings.TrimSuffix(prefix, "\n"), "\n")
	last := lines[len(lines)-1]
	if last == "" {
		return ""
	}
	n := len(last) - len(strings.TrimLeft(last, " -"))
	if strings.HasSuffix(last, ":") { // a mapping opened on this line
		return strings.Repeat(" ", n+2)
	}
	return strings.Repeat(" ", n)
}

// TestGostconfigAliasParity: configs whose aliases expand to more and more
// of their values are accepted and refused where yaml.v3's alias guard,
// which GOST's viper runs, accepts and refuses them.
func TestGostconfigAliasParity(t *testing.T) {
	refused, accepted := 0, 0
	for _, width := range []int{1, 16, 48, 49, 50, 64, 100} {
		for _, n := range []int{1, 5, 8, 9, 10, 20, 100, 1000} {
			t.Run(fmt.Sprintf("width=%d/aliases=%d", width, n), func(t *testing.T) {
				var b strings.Builder
				b.WriteString("x-base: &base {")
				for i := range width {
					fmt.Fprintf(&b, "k%d: v, ", i)
				}
				b.WriteString("addr: '127.0.0.1:1'}\nx-list: [")
				for i := range n {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteString("*base")
				}
				b.WriteString("]\nbypasses:\n- name: b\n  plugin: *base\n")
				data := b.String()
				cfg, xerr := readWithX(t, "gost.yaml", []byte(data))
				d, err := gostconfig.Parse("gost.yaml", []byte(data))
				if xerr != nil {
					refused++
					require.Error(t, err, "x refuses: %v", xerr)
					assert.ErrorContains(t, err, "excessive aliasing")
					return
				}
				accepted++
				require.NoError(t, err)
				assert.Equal(t, xPlugins(t, cfg), ours(d))
			})
		}
	}
	assert.Positive(t, refused, "no case reaches yaml.v3's alias guard")
	assert.Positive(t, accepted)
}
