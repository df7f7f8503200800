package gostconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plugincheck/plugincheck/report"
)

// FuzzParse: Parse never panics, answers every input with a deployment or
// a *ConfigError on one line, keeps its findings well formed, and never
// shows a plugin's token in a finding.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	more, _ := filepath.Glob("testdata/*/*.*")
	for _, file := range append(files, more...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(filepath.Base(file), data)
		}
	}
	f.Add("-", []byte(`{"authers":[{"name":"a","plugin":{"addr":"h:1","token":"t"}}]}`))
	f.Add("gost.yml", []byte("a: &a [*a]\n"))
	f.Add("gost.yml", []byte("authers:\n- name: a\n  plugin: {<<: {addr: x}, token: [1]}\n"))
	f.Fuzz(func(t *testing.T, source string, data []byte) {
		d, err := Parse(source, data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Parse error %T %v; want a *ConfigError", err, err)
			}
			if strings.Contains(ce.Err.Error(), "\n") {
				t.Fatalf("error %q spans lines", err)
			}
			return
		}
		for _, p := range d.Plugins {
			if ModuleOf(p.Kind) == "" || p.Module != ModuleOf(p.Kind) {
				t.Fatalf("plugin %s: module %q", p.ID(), p.Module)
			}
		}
		for _, fd := range d.Findings {
			switch fd.Severity {
			case report.Pass, report.Warn, report.Fail:
			default:
				t.Fatalf("finding %s: severity %q", fd.Code, fd.Severity)
			}
			if fd.Line < 0 || fd.File != source {
				t.Fatalf("finding %s at %s:%d", fd.Code, fd.File, fd.Line)
			}
			for _, p := range d.Plugins {
				if fd.Plugin == p.ID() && len(p.Config.Token) > 3 && strings.Contains(fd.Message, p.Config.Token) {
					t.Fatalf("finding %s shows the token of %s", fd.Code, p.ID())
				}
			}
		}
	})
}
