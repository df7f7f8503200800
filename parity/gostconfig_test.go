package parity

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/go-gost/core/logger"
	"github.com/go-gost/x/config"
	admission_parser "github.com/go-gost/x/config/parsing/admission"
	auth_parser "github.com/go-gost/x/config/parsing/auth"
	bypass_parser "github.com/go-gost/x/config/parsing/bypass"
	hop_parser "github.com/go-gost/x/config/parsing/hop"
	hosts_parser "github.com/go-gost/x/config/parsing/hosts"
	ingress_parser "github.com/go-gost/x/config/parsing/ingress"
	limiter_parser "github.com/go-gost/x/config/parsing/limiter"
	observer_parser "github.com/go-gost/x/config/parsing/observer"
	recorder_parser "github.com/go-gost/x/config/parsing/recorder"
	resolver_parser "github.com/go-gost/x/config/parsing/resolver"
	rewriter_parser "github.com/go-gost/x/config/parsing/rewriter"
	router_parser "github.com/go-gost/x/config/parsing/router"
	sd_parser "github.com/go-gost/x/config/parsing/sd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/gostconfig"
	"github.com/plugincheck/plugincheck/mockclient"
)

// viperMu serialises every use of x's config.Config.Read: it reads through
// viper's global instance, whose config map and type each call replaces.
var viperMu sync.Mutex

// gostconfigFixtures are the fixture configs of internal/gostconfig.
const gostconfigFixtures = "../internal/gostconfig/testdata"

// readWithX reads data with x's own loader, as GOST's -C does: the codec
// comes from the file's extension.
func readWithX(t *testing.T, name string, data []byte) (*config.Config, error) {
	t.Helper()
	viperMu.Lock()
	defer viperMu.Unlock()
	format := strings.TrimPrefix(filepath.Ext(name), ".")
	cfg := &config.Config{}
	err := cfg.Read(bytes.NewReader(data), format)
	return cfg, err
}

// xPlugin is what x builds from one plugin block, read back from the
// client objects x's own parsers return.
type xPlugin struct {
	Kind, Name string
	Transport  mockclient.Transport
	Addr       string
	Token      string
	TLS        *mockclient.TLSConfig
	Timeout    time.Duration
	// Ignored is true when x's parser built no plugin client at all.
	Ignored bool
}

// xPlugins runs x's parser of each kind on every block with a plugin, in
// gostconfig.Kinds order then config order, chains' inline hops last as
// gostconfig lists them (after the hops section).
func xPlugins(t *testing.T, cfg *config.Config) []xPlugin {
	t.Helper()
	var out []xPlugin
	add := func(kind, name string, p *config.PluginConfig, obj any) {
		if p == nil {
			return
		}
		xp := inspect(t, obj)
		xp.Kind, xp.Name = kind, name
		if !xp.Ignored {
			// gRPC plugin clients keep no timeout; x hands it over as the
			// block says (the rewriter alone passes it to gRPC too).
			xp.Timeout = timeoutOf(xp, p)
		}
		out = append(out, xp)
	}
	for _, kind := range gostconfig.Kinds {
		switch kind {
		case "authers":
			for _, c := range cfg.Authers {
				add(kind, c.Name, c.Plugin, auth_parser.ParseAuther(c))
			}
		case "admissions":
			for _, c := range cfg.Admissions {
				add(kind, c.Name, c.Plugin, admission_parser.ParseAdmission(c))
			}
		case "bypasses":
			for _, c := range cfg.Bypasses {
				add(kind, c.Name, c.Plugin, bypass_parser.ParseBypass(c))
			}
		case "hosts":
			for _, c := range cfg.Hosts {
				add(kind, c.Name, c.Plugin, hosts_parser.ParseHostMapper(c))
			}
		case "resolvers":
			for _, c := range cfg.Resolvers {
				r, err := resolver_parser.ParseResolver(c)
				require.NoError(t, err)
				add(kind, c.Name, c.Plugin, r)
			}
		case "ingresses":
			for _, c := range cfg.Ingresses {
				add(kind, c.Name, c.Plugin, ingress_parser.ParseIngress(c))
			}
		case "routers":
			for _, c := range cfg.Routers {
				add(kind, c.Name, c.Plugin, router_parser.ParseRouter(c))
			}
		case "sds":
			for _, c := range cfg.SDs {
				add(kind, c.Name, c.Plugin, sd_parser.ParseSD(c))
			}
		case "recorders":
			for _, c := range cfg.Recorders {
				add(kind, c.Name, c.Plugin, recorder_parser.ParseRecorder(c))
			}
		case "rewriters":
			for _, c := range cfg.Rewriters {
				add(kind, c.Name, c.Plugin, rewriter_parser.ParseRewriter(c))
			}
		case "limiters":
			for _, c := range cfg.Limiters {
				add(kind, c.Name, c.Plugin, limiter_parser.ParseTrafficLimiter(c))
			}
		case "climiters":
			for _, c := range cfg.CLimiters {
				add(kind, c.Name, c.Plugin, limiter_parser.ParseConnLimiter(c))
			}
		case "rlimiters":
			for _, c := range cfg.RLimiters {
				add(kind, c.Name, c.Plugin, limiter_parser.ParseRateLimiter(c))
			}
		case "observers":
			for _, c := range cfg.Observers {
				add(kind, c.Name, c.Plugin, observer_parser.ParseObserver(c))
			}
		case "hops":
			for _, c := range cfg.Hops {
				h, err := hop_parser.ParseHop(c, logger.Default())
				require.NoError(t, err)
				add(kind, c.Name, c.Plugin, h)
			}
		}
	}
	for _, ch := range cfg.Chains {
		for _, c := range ch.Hops {
			if c.Plugin == nil {
				continue
			}
			h, err := hop_parser.ParseHop(c, logger.Default())
			require.NoError(t, err)
			add("hops", c.Name, c.Plugin, h)
		}
	}
	return out
}

// timeoutOf is the timeout x gives the plugin: the HTTP client's own
// (inspected), else the block's field, which x passes as is.
func timeoutOf(xp xPlugin, p *config.PluginConfig) time.Duration {
	if xp.Transport == mockclient.HTTP {
		return xp.Timeout
	}
	return p.Timeout
}

// inspect reads back what x's plugin client holds: for HTTP its URL,
// http.Client timeout, bearer token and TLS config; for gRPC the target,
// the per-RPC token and the TLS credentials' config.
func inspect(t *testing.T, obj any) xPlugin {
	t.Helper()
	v := reflect.ValueOf(obj)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return xPlugin{Ignored: true}
	}
	defer func() {
		if c, ok := obj.(io.Closer); ok {
			_ = c.Close()
		}
	}()
	s := v.Elem()
	typ := s.Type()
	if !strings.HasSuffix(typ.PkgPath(), "/plugin") {
		return xPlugin{Ignored: true}
	}
	switch typ.Name() {
	case "httpPlugin":
		xp := xPlugin{Transport: mockclient.HTTP, Addr: s.FieldByName("url").String()}
		hc := open[*http.Client](s.FieldByName("client"))
		require.NotNil(t, hc)
		xp.Timeout = hc.Timeout
		rt := reflect.ValueOf(hc.Transport)
		if rt.Kind() == reflect.Pointer && rt.Elem().Type().Name() == "tokenTransport" {
			xp.Token = rt.Elem().FieldByName("token").String()
			rt = reflect.ValueOf(open[http.RoundTripper](rt.Elem().FieldByName("base")))
		}
		tr, ok := rt.Interface().(*http.Transport)
		require.True(t, ok, "x's HTTP plugin transport is %T", rt.Interface())
		xp.TLS = fromTLS(t, tr.TLSClientConfig)
		return xp
	case "grpcPlugin":
		xp := xPlugin{Transport: mockclient.GRPC}
		cc, ok := open[grpc.ClientConnInterface](s.FieldByName("conn")).(*grpc.ClientConn)
		if !ok || cc == nil {
			return xp // grpc.NewClient refused the target; x keeps a nil conn
		}
		xp.Addr = cc.Target()
		copts := reflect.ValueOf(cc).Elem().FieldByName("dopts").FieldByName("copts")
		for _, pc := range open[[]credentials.PerRPCCredentials](copts.FieldByName("PerRPCCredentials")) {
			md, err := pc.GetRequestMetadata(context.Background())
			require.NoError(t, err)
			xp.Token = md["token"]
		}
		if tc := open[credentials.TransportCredentials](copts.FieldByName("TransportCredentials")); tc != nil && tc.Info().SecurityProtocol == "tls" {
			cv := reflect.ValueOf(tc)
			if cv.Kind() == reflect.Pointer {
				cv = cv.Elem()
			}
			cfgField := cv.FieldByName("config")
			xp.TLS = fromTLS(t, open[*tls.Config](cfgField))
		}
		return xp
	}
	t.Fatalf("x built a %s.%s: not a plugin client this test knows", typ.PkgPath(), typ.Name())
	return xPlugin{}
}

// open reads an unexported field's value: x's plugin clients keep what
// they were built with in unexported fields, and reading them back is the
// one way to compare with what x itself built.
func open[T any](f reflect.Value) T {
	var zero T
	if !f.IsValid() {
		return zero
	}
	if !f.CanAddr() {
		cp := reflect.New(f.Type()).Elem()
		cp.Set(f)
		f = cp
	}
	v := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface()
	t, _ := v.(T)
	return t
}

// fromTLS is the mockclient.TLSConfig x's tls.Config stands for: x builds
// {ServerName, InsecureSkipVerify: !secure} from a plugin's tls block and
// nothing else.
func fromTLS(t *testing.T, c *tls.Config) *mockclient.TLSConfig {
	t.Helper()
	if c == nil {
		return nil
	}
	// gostconfig's ignored-tls finding says x sets no CA and no client
	// certificate (caFile, certFile, keyFile are read and dropped);
	// grpc-go's own NextProtos and MinVersion aside.
	if c.RootCAs != nil || len(c.Certificates) > 0 || c.GetClientCertificate != nil || c.GetCertificate != nil || c.ClientCAs != nil {
		t.Fatalf("x's plugin tls.Config uses more than serverName and secure: %+v", c)
	}
	return &mockclient.TLSConfig{Secure: !c.InsecureSkipVerify, ServerName: c.ServerName}
}

// ours is what gostconfig read, in the same shape.
func ours(d *gostconfig.Deployment) []xPlugin {
	var out []xPlugin
	for _, p := range d.Plugins {
		xp := xPlugin{Kind: p.Kind, Name: p.Name, Transport: p.Config.Transport, Addr: p.Config.Addr,
			Token: p.Config.Token, TLS: p.Config.TLS, Timeout: p.Config.Timeout}
		if p.Config.Transport == mockclient.HTTP {
			// x's HTTP clients keep the URL they send to, which mockclient
			// derives from the addr (the observer alone prepends http://).
			tg, _ := mockclient.ParseTarget(p.Config)
			xp.Addr = tg.RequestURL()
		}
		if p.Ignored != "" {
			xp = xPlugin{Kind: p.Kind, Name: p.Name, Ignored: true}
		}
		out = append(out, xp)
	}
	return out
}

func gostconfigFixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml", "*.json"} {
		m, err := filepath.Glob(filepath.Join(gostconfigFixtures, dir, pat))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files, "no fixtures in %s", dir)
	return files
}

// TestGostconfigParity reads every fixture config with x's own loader
// (config.Config.Read: viper and mapstructure with GOST's decode hook),
// builds every plugin block with x's own parsers, reads back what the
// clients x built hold, and asserts gostconfig.Parse read the same.
// Viper's global state makes it serial.
func TestGostconfigParity(t *testing.T) {
	for _, file := range gostconfigFixtureFiles(t, "") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			cfg, err := readWithX(t, file, data)
			require.NoError(t, err, "x refuses the fixture")
			want := xPlugins(t, cfg)
			d, err := gostconfig.Parse(filepath.Base(file), data)
			require.NoError(t, err)
			got := ours(d)
			require.Equal(t, want, got)
			require.NotEmpty(t, got)
		})
	}
}

// TestGostconfigParityRefusals: every fixture under bad/ is refused by x's
// loader and by gostconfig.Parse, which names the file, line and field.
func TestGostconfigParityRefusals(t *testing.T) {
	for _, file := range gostconfigFixtureFiles(t, "bad") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			_, xerr := readWithX(t, file, data)
			require.Error(t, xerr, "x accepts the fixture")
			_, err = gostconfig.Parse(filepath.Base(file), data)
			require.Error(t, err)
			assert.Regexp(t, fmt.Sprintf(`^%s:\d+: `, regexpQuote(filepath.Base(file))), err.Error())
		})
	}
}

// TestGostconfigRefusedButAccepted pins the fixtures under refused/:
// configs GOST runs that plugincheck refuses on purpose (an unknown plugin
// type GOST silently reads as gRPC, two keys GOST picks between at random).
func TestGostconfigRefusedButAccepted(t *testing.T) {
	for _, file := range gostconfigFixtureFiles(t, "refused") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			cfg, xerr := readWithX(t, file, data)
			require.NoError(t, xerr, "x refuses the fixture: move it to bad/")
			if filepath.Base(file) == "empty_entry.yaml" {
				// x reads a nil entry, on which its loader's c.Name panics.
				require.Len(t, cfg.Authers, 2)
				assert.Nil(t, cfg.Authers[1])
			}
			_, err = gostconfig.Parse(filepath.Base(file), data)
			require.Error(t, err)
		})
	}
}

func regexpQuote(s string) string {
	return strings.NewReplacer(".", `\.`, "-", `\-`).Replace(s)
}
