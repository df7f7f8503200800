// Package upstream builds and runs the go-gost/plugin v0.5.0 example plugin
// servers, so that tests can check plugincheck against real, independently
// written plugins. The examples are built from the plugin module itself by
// the nested module in testdata/examples, whose go.sum pins their sources.
package upstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/plugincheck/plugincheck/mockclient"
)

// Example is one example server of the plugin module.
type Example struct {
	Module    mockclient.Module
	Transport mockclient.Transport
	// Package is the example's import path.
	Package string
	// Path is the URL path an HTTP example serves; empty for gRPC.
	Path string
	// Token is the token the example requires, if any.
	Token string
}

// Name identifies the example in test names.
func (e Example) Name() string { return string(e.Module) + "/" + string(e.Transport) }

// Examples lists every example server in go-gost/plugin v0.5.0. The
// rewriter has none.
func Examples() []Example {
	const root = "github.com/go-gost/plugin/"
	both := func(m mockclient.Module, dir, path, token string) []Example {
		return []Example{
			{Module: m, Transport: mockclient.GRPC, Package: root + dir + "/example/grpc", Token: token},
			{Module: m, Transport: mockclient.HTTP, Package: root + dir + "/example/http", Path: path},
		}
	}
	grpcOnly := func(m mockclient.Module, dir string) Example {
		return Example{Module: m, Transport: mockclient.GRPC, Package: root + dir + "/example"}
	}
	var out []Example
	out = append(out, both(mockclient.Admission, "admission", "/admission", "")...)
	out = append(out, both(mockclient.Auth, "auth", "/auth", "gost")...)
	out = append(out, both(mockclient.Bypass, "bypass", "/bypass", "")...)
	out = append(out, both(mockclient.Hop, "hop", "/hop", "")...)
	out = append(out, grpcOnly(mockclient.Hosts, "hosts"), grpcOnly(mockclient.Ingress, "ingress"))
	out = append(out, both(mockclient.Limiter, "limiter/traffic", "/limiter", "")...)
	out = append(out, both(mockclient.Observer, "observer", "/observer", "")...)
	out = append(out, both(mockclient.Recorder, "recorder", "/recorder", "")...)
	out = append(out, grpcOnly(mockclient.Resolver, "resolver"), grpcOnly(mockclient.Router, "router"), grpcOnly(mockclient.SD, "sd"))
	return out
}

// testdata returns the directory of one of the nested modules.
func testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// BuildExamples compiles every example in es into dir and returns each
// binary's path by Example.Name, with one `go build` of all of them.
// `go build -o DIR/` names each binary after its package's last path
// element, and the examples share three ("grpc", "http", "example"), so
// each example's source files (one main.go each, as `go list` finds them
// in the module cache, which go.sum verifies) are copied into a package
// named after the example, in a copy of the examples module.
func BuildExamples(ctx context.Context, es []Example, dir string) (map[string]string, error) {
	pkgs := make([]string, 0, len(es))
	for _, e := range es {
		pkgs = append(pkgs, e.Package)
	}
	found, err := listPackages(ctx, testdata("examples"), pkgs)
	if err != nil {
		return nil, err
	}
	src, binDir := filepath.Join(dir, "src"), filepath.Join(dir, "bin")
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := copyFile(filepath.Join(testdata("examples"), f), filepath.Join(src, f)); err != nil {
			return nil, err
		}
	}
	bins := make(map[string]string, len(es))
	local := make([]string, 0, len(es))
	for _, e := range es {
		p, ok := found[e.Package]
		if !ok || len(p.GoFiles) == 0 {
			return nil, fmt.Errorf("go list %s: no Go files", e.Package)
		}
		name := strings.ReplaceAll(e.Name(), "/", "-")
		for _, f := range p.GoFiles {
			if err := copyFile(filepath.Join(p.Dir, f), filepath.Join(src, name, f)); err != nil {
				return nil, err
			}
		}
		local = append(local, "./"+name)
		bins[e.Name()] = filepath.Join(binDir, name)
	}
	if err := goBuild(ctx, src, binDir, []string{"-mod=mod"}, local); err != nil {
		return nil, err
	}
	return bins, nil
}

// listed is what BuildExamples needs to know of a package.
type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
}

// listPackages runs one `go list` of pkgs in the module in moduleDir.
func listPackages(ctx context.Context, moduleDir string, pkgs []string) (map[string]listed, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-mod=mod", "-json=ImportPath,Dir,GoFiles"}, pkgs...)...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(pkgs, " "), err, stderr.String())
	}
	found := map[string]listed{}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		found[p.ImportPath] = p
	}
	return found, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}

// Grpcurl is the import path of the grpcurl command the tests run.
const Grpcurl = "github.com/fullstorydev/grpcurl/cmd/grpcurl"

// BuildTool compiles a pinned third-party command (such as Grpcurl) into dir
// under its last path element and returns the binary's path.
func BuildTool(ctx context.Context, pkg, dir string) (string, error) {
	if err := goBuild(ctx, testdata("tools"), dir, []string{"-mod=mod"}, []string{pkg}); err != nil {
		return "", err
	}
	return filepath.Join(dir, path.Base(pkg)), nil
}

// GoBuild builds the main packages pkgs of the module in moduleDir into
// the directory dir, each under its last path element, in one `go build`
// process. The binaries are built without -race: they are the peers of
// the code under test, or programs the tests measure, not code whose
// races a test looks for, and -race would compile every dependency again.
// They carry no symbol table and no DWARF (-ldflags=-s -w): nobody runs a
// debugger on them, panics still print their stacks, and the linker
// spends about a third of its time writing those sections.
func GoBuild(ctx context.Context, moduleDir, dir string, pkgs ...string) error {
	return goBuild(ctx, moduleDir, dir, nil, pkgs)
}

func goBuild(ctx context.Context, moduleDir, dir string, flags, pkgs []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	args := slices.Concat([]string{"build", "-ldflags=-s -w"}, flags, []string{"-o", dir + string(os.PathSeparator)}, pkgs)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, out)
	}
	return nil
}

// Server is a running example process.
type Server struct {
	// Addr is "127.0.0.1:port". The examples listen on every interface
	// (":port", their code); plugincheck only ever targets loopback.
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	logs strings.Builder
}

var listening = regexp.MustCompile(`server listening at .*:(\d+)$`)

// Start runs bin on a free port (-port 0) and waits, at most 30 s, for the
// example to log its address.
func Start(ctx context.Context, bin string) (*Server, error) {
	cmd := exec.Command(bin, "-port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	port := make(chan string, 1)
	go func() {
		defer close(s.done)
		// Examples log whole requests, some of them megabytes long, so the
		// reader must never stop: a full pipe would block the example.
		r := bufio.NewReaderSize(stderr, 64<<10)
		for {
			line, err := r.ReadString('\n')
			s.keep(line)
			if m := listening.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				select {
				case port <- m[1]:
				default:
				}
			}
			if err != nil {
				break
			}
		}
		_ = cmd.Wait()
	}()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case p := <-port:
		s.Addr = net.JoinHostPort("127.0.0.1", p)
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%s exited before listening:\n%s", bin, s.Logs())
	case <-timer.C:
		_ = s.Stop()
		return nil, fmt.Errorf("%s did not report its address within 30s", bin)
	case <-ctx.Done():
		_ = s.Stop()
		return nil, ctx.Err()
	}
}

// keptLogBytes bounds the log kept for failure messages.
const keptLogBytes = 64 << 10

func (s *Server) keep(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := keptLogBytes - s.logs.Len(); room > 0 {
		if len(line) > room {
			line = line[:room]
		}
		s.logs.WriteString(line)
	}
}

// Logs returns the start of what the example has logged so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// Stop kills the example and waits for it to exit.
func (s *Server) Stop() error {
	err := s.cmd.Process.Kill()
	<-s.done
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
