// Package e2e runs the plugincheck binary against real, independently
// written plugins (the go-gost/plugin v0.5.0 examples) and runs its
// reproducer lines with the real grpcurl and curl.
package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/internal/upstream"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// What TestMain sets up. The binaries build in the background, each
// module's in one `go build` process, while the tests that do not need
// them yet start; a test waits only for the builds it uses. With -run,
// a build starts only when a test first needs it.
var (
	repoRoot string
	binDir   string // holds plugincheck, peakrss and grpcurl
	// plugincheck and peakRSSPath are built by mainBuild.
	plugincheck, peakRSSPath string
	mainBuild                *background
	grpcurlBuild             *background
	// exampleBins holds the go-gost/plugin example binaries by
	// Example.Name, built by examplesBuild.
	exampleBins   map[string]string
	examplesBuild *background
)

// e2eParallel is how many subtests run at once unless -parallel is given.
// The tests mostly wait on child processes, real deadlines and loopback
// servers, not on the test process's CPU, so go test's default of
// GOMAXPROCS would leave the machine idle.
func e2eParallel() int { return 4 * runtime.GOMAXPROCS(0) }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		_ = flag.Set("test.parallel", strconv.Itoa(e2eParallel()))
	}
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Join(filepath.Dir(file), "..", "..")
	dir, cleanup, err := buildDir(repoRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	binDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	plugincheck, peakRSSPath = filepath.Join(dir, "plugincheck"), filepath.Join(dir, "peakrss")
	mainBuild = inBackground(func() error {
		return upstream.GoBuild(ctx, repoRoot, dir, "./cmd/plugincheck", "./internal/hostile/peakrss")
	})
	grpcurlBuild = inBackground(func() error {
		_, err := upstream.BuildTool(ctx, upstream.Grpcurl, dir)
		return err
	})
	examplesBuild = inBackground(func() (err error) {
		exampleBins, err = upstream.BuildExamples(ctx, upstream.Examples(), filepath.Join(dir, "examples"))
		return err
	})
	builds := []*background{mainBuild, grpcurlBuild, examplesBuild}
	if flag.Lookup("test.run").Value.String() == "" {
		for _, b := range builds {
			b.start()
		}
	}
	code := m.Run()
	cancel()
	for _, b := range builds {
		b.finish() // before the directory is removed
	}
	return code
}

// buildDir is where TestMain builds its binaries: a directory of this
// checkout's own under the user's cache directory, kept between runs,
// because `go build -o DIR/` relinks only a binary whose inputs changed
// (it compares the build ID of the file already there) and linking the
// 21 binaries is most of the package's setup. Without a cache directory
// it is a temporary one, removed at the end.
func buildDir(repoRoot string) (dir string, cleanup func(), err error) {
	if cache, cerr := os.UserCacheDir(); cerr == nil {
		abs, _ := filepath.Abs(repoRoot)
		sum := sha256.Sum256([]byte(abs))
		dir = filepath.Join(cache, "plugincheck-e2e", hex.EncodeToString(sum[:6]))
		if err := os.MkdirAll(dir, 0o755); err == nil {
			return dir, func() {}, nil
		}
	}
	dir, err = os.MkdirTemp("", "plugincheck-e2e-")
	if err != nil {
		return "", nil, fmt.Errorf("e2e build directory: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// background is one piece of TestMain's setup, running while the tests
// start.
type background struct {
	once sync.Once
	f    func() error
	done chan struct{}
	err  error
}

func inBackground(f func() error) *background {
	return &background{f: f, done: make(chan struct{})}
}

// start runs the setup in the background, once.
func (b *background) start() {
	b.once.Do(func() {
		go func() {
			defer close(b.done)
			b.err = b.f()
		}()
	})
}

// wait starts the setup if need be, blocks until it is done (its own
// context bounds it) and fails the test if it failed.
func (b *background) wait(t *testing.T) {
	t.Helper()
	b.start()
	<-b.done
	require.NoError(t, b.err)
}

// finish waits for a setup that started; one that never started never
// will.
func (b *background) finish() {
	started := true
	b.once.Do(func() { started = false })
	if started {
		<-b.done
	}
}

// result is one plugincheck invocation.
type result struct {
	code           int
	stdout, stderr string
}

func runPlugincheck(t *testing.T, args ...string) result {
	t.Helper()
	mainBuild.wait(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, plugincheck, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// TestUpstreamExamples builds every go-gost/plugin v0.5.0 example server from
// the plugin module, runs it on loopback and checks it with its module's
// built-in suite and the shipped example fixtures.
func TestUpstreamExamples(t *testing.T) {
	t.Parallel()
	for _, ex := range upstream.Examples() {
		t.Run(ex.Name(), func(t *testing.T) {
			t.Parallel()
			srv := startExample(t, ex)
			args := []string{string(ex.Module), "--addr", addrOf(ex, srv), "--fixtures", filepath.Join(repoRoot, "fixtures", "examples", string(ex.Module)+".yaml")}
			if ex.Token != "" {
				args = append(args, "--token", ex.Token)
			}
			res := runPlugincheck(t, append(args, "-o", "text", "-o", "json="+filepath.Join(t.TempDir(), "r.json"))...)
			assert.Equal(t, 0, res.code, "stdout:\n%s\nstderr:\n%s\nexample log:\n%s", res.stdout, res.stderr, srv.Logs())
			assert.Regexp(t, `(?m)^(PASS|WARN)  `+regexp.QuoteMeta(ex.Name())+` `, res.stdout)
		})
	}
}

// TestUpstreamAuthNeedsToken: the gRPC auth example refuses calls without
// the token "gost", and plugincheck says so.
func TestUpstreamAuthNeedsToken(t *testing.T) {
	t.Parallel()
	ex := upstream.Examples()[2]
	require.Equal(t, "auth/grpc", ex.Name())
	srv := startExample(t, ex)
	res := runPlugincheck(t, "auth", "--addr", srv.Addr, "--fixtures", filepath.Join(repoRoot, "fixtures", "examples", "auth.yaml"))
	assert.Equal(t, 3, res.code, res.stdout)
	assert.Equal(t, "plugincheck: plugin unreachable: auth over grpc: the plugin answered Unauthenticated to every call: does it need --token?\n", res.stderr)
	assert.Contains(t, res.stdout, "does it need --token?")
}

func startExample(t *testing.T, ex upstream.Example) *upstream.Server {
	t.Helper()
	examplesBuild.wait(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	srv, err := upstream.Start(ctx, exampleBins[ex.Name()])
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func addrOf(ex upstream.Example, srv *upstream.Server) string {
	if ex.Transport == mockclient.HTTP {
		return "http://" + srv.Addr + ex.Path
	}
	return srv.Addr
}

// TestReproducers runs every reproducer line the built-in and reference
// suites print, every step of every case of every module over both
// transports, with
// POSIX sh (not bash), the real grpcurl and curl, and a PATH without
// plugincheck, in the directory where the run wrote its -o json=FILE
// report and, beside it, plugins.protoset; and checks that the plugin
// answers each line with the status and reply it gave plugincheck.
func TestReproducers(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	require.NoError(t, err, "curl is required")
	sh, err := exec.LookPath("sh")
	require.NoError(t, err, "sh is required")
	grpcurlBuild.wait(t)
	// tools holds grpcurl alone: binDir also holds plugincheck, which a
	// reproducer must not need.
	tools := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(binDir, "grpcurl"), filepath.Join(tools, "grpcurl")))
	path := tools + string(os.PathListSeparator) + filepath.Dir(curl) + string(os.PathListSeparator) + filepath.Dir(sh)
	for _, dir := range filepath.SplitList(path) {
		_, err := os.Stat(filepath.Join(dir, "plugincheck"))
		require.ErrorIs(t, err, os.ErrNotExist, "plugincheck must not be on the reproducers' PATH")
	}
	const token = "repro-token"
	for _, m := range mockclient.Modules() {
		for _, tr := range mockclient.Transports() {
			t.Run(string(m)+"/"+string(tr), func(t *testing.T) {
				t.Parallel()
				// Reference plugins of its own: the sd and ingress plugins
				// keep state, which parallel subtests must not share.
				srv, err := refplugin.Start(t.Context(), refplugin.Options{Token: token})
				require.NoError(t, err)
				t.Cleanup(func() { _ = srv.Close() })
				addr := srv.GRPCAddr()
				if tr == mockclient.HTTP {
					addr = srv.HTTPURL(string(m))
				}
				work := t.TempDir()
				file := filepath.Join(work, "report.json")
				res := runPlugincheck(t, string(m), "--addr", addr, "--token", token,
					"--fixtures", filepath.Join(repoRoot, "fixtures", "reference", string(m)+".yaml"), "--builtin",
					"-o", "json="+file)
				require.Equal(t, 0, res.code, res.stderr)
				if tr == mockclient.GRPC {
					_, err := os.Stat(filepath.Join(work, mockclient.ProtosetFile))
					require.NoError(t, err, "the run writes the protoset beside its report")
					assert.Contains(t, res.stderr, "gRPC reproducers read "+filepath.Join(work, mockclient.ProtosetFile))
				}
				b, err := os.ReadFile(file)
				require.NoError(t, err)
				var rep report.Report
				require.NoError(t, json.Unmarshal(b, &rep))
				env := reproEnv(path, token)
				ran := 0
				// The cases replay one after another, as the run ran them:
				// the steps of a case depend on each other (register,
				// then get), and the cases leave the plugin as they found
				// it (replaysStatusOnly lists those that cannot), so each
				// one replays on the plugin the run left.
				for _, c := range rep.Runs[0].Cases {
					for _, st := range c.Steps {
						if st.Reproducer == "" {
							assert.False(t, st.Observation.Sent, "%s: a sent call has a reproducer", c.ID)
							continue
						}
						_, stateful := replaysStatusOnly[c.Name]
						checkReproducer(t, work, env, tr, c.ID, st, !stateful)
						ran++
					}
				}
				assert.Positive(t, ran, "no reproducer ran")
				t.Logf("%d reproducers ran under sh", ran)
			})
		}
	}
}

// replaysStatusOnly are the cases, by name, whose replies depend on plugin
// state the run left behind, so that replaying them after the run gives
// the same status but not the same reply.
var replaysStatusOnly = map[string]string{
	// GOST's ingress protocol has no delete: the rule the case sets stays,
	// and its first get, "" on a fresh plugin, finds it on replay.
	"tunnel-bind-sequence": "ingress rules cannot be removed",
}

// reproEnv is the environment of a reproducer: the PATH given, the token
// in its variable, no PLUGINCHECK_PROTOSET (the file beside the report is
// the one to read), nothing else of the test's.
func reproEnv(path, token string) []string {
	env := []string{"PATH=" + path, mockclient.TokenVariable + "=" + token}
	for _, k := range []string{"HOME", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func checkReproducer(t *testing.T, dir string, env []string, tr mockclient.Transport, id string, st *report.Step, sameReply bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", st.Reproducer)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	reply := stdout.String()
	msg := fmt.Sprintf("%s: %s\nstdout:\n%s\nstderr:\n%s", id, st.Reproducer, &stdout, &stderr)
	if tr == mockclient.GRPC && st.Observation.Code != "" && st.Observation.Code != "OK" {
		// grpcurl exits 64+code and prints the status on stderr.
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, msg)
		assert.Contains(t, stderr.String(), "Code: "+st.Observation.Code+"\n", msg)
		return
	}
	require.NoError(t, err, msg)
	if tr == mockclient.HTTP {
		status := fmt.Sprintf("HTTP/1.1 %d ", st.Observation.HTTPStatus)
		require.True(t, strings.HasPrefix(reply, status), "want %q from %s", status, msg)
		_, reply, _ = strings.Cut(reply, "\r\n\r\n")
		if st.Observation.HTTPStatus != 200 || st.Observation.Reply == "" {
			return // GOST does not read this body
		}
	}
	if !sameReply {
		return
	}
	// The plugin must send the same reply to the reproducer as to plugincheck.
	assert.JSONEq(t, normalize(t, st.Observation.Reply), normalize(t, reply), msg)
}

// normalize re-encodes a JSON reply; grpcurl prints lowerCamelCase names
// with defaults, plugincheck keeps proto names, so both are mapped to one form.
func normalize(t *testing.T, s string) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(s)), &v), s)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
