package parity

import (
	"cmp"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-gost/core/auth"
	api_service "github.com/go-gost/x/api/service"
	xauth "github.com/go-gost/x/auth"
	"github.com/go-gost/x/config"
	auth_parser "github.com/go-gost/x/config/parsing/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/gostconfig"
)

// The credentials and path prefix StartGOSTAPI gives x's API when the
// config's api block sets none.
const (
	gostAPIUser     = "plugincheck"
	gostAPIPassword = "api-secret"
	gostAPIPrefix   = "/api"
)

// GOSTAPI is a running x v0.15.2 web API service (x/api/service, the code
// GOST's main runs for the config's api block) serving one config.
type GOSTAPI struct {
	// URL is the API's base URL with its path prefix, what
	// `plugincheck config --api` takes.
	URL string
	// User and Password are the basic-auth credentials it demands.
	User, Password string
}

// StartGOSTAPI serves the config in data (read with x's own loader, by the
// codec name's extension picks, as `gost -C name` does) through x's real
// API service on 127.0.0.1:0, and stops it on cleanup. It holds gostLoadMu
// until then, since the API serves x's global config (config.Set), which
// loads replace: do not call it from a test that holds gostLoadMu.
func StartGOSTAPI(t *testing.T, name string, data []byte) GOSTAPI {
	t.Helper()
	cfg, err := readWithX(t, name, data)
	require.NoError(t, err, "x refuses %s", name)
	return StartGOSTAPIConfig(t, cfg)
}

// StartGOSTAPIConfig is StartGOSTAPI for a config built in Go. The api
// block's pathPrefix and auth are used when set; otherwise "/api" and
// gostAPIUser/gostAPIPassword, written into the served config as GOST
// would show them.
func StartGOSTAPIConfig(t *testing.T, cfg *config.Config) GOSTAPI {
	t.Helper()
	gostLoadMu.Lock()
	t.Cleanup(gostLoadMu.Unlock) // registered first, so it runs last
	prev := config.Global()
	t.Cleanup(func() { config.Set(prev) })

	if cfg.API == nil {
		cfg.API = &config.APIConfig{}
	}
	if cfg.API.PathPrefix == "" {
		cfg.API.PathPrefix = gostAPIPrefix
	}
	if cfg.API.Auth == nil {
		cfg.API.Auth = &config.AuthConfig{Username: gostAPIUser, Password: gostAPIPassword}
	}
	cfg.API.Addr = "127.0.0.1:0"
	config.Set(cfg)

	// As GOST's main builds the API service from the api block.
	var authers []auth.Authenticator
	if a := auth_parser.ParseAutherFromAuth(cfg.API.Auth); a != nil {
		authers = append(authers, a)
	}
	var auther auth.Authenticator
	if len(authers) > 0 {
		auther = xauth.AuthenticatorGroup(authers...)
	}
	svc, err := api_service.NewService("tcp", cfg.API.Addr,
		api_service.PathPrefixOption(cfg.API.PathPrefix),
		api_service.AutherOption(auther),
	)
	require.NoError(t, err)
	served := serve(svc)
	t.Cleanup(func() {
		_ = svc.Close()
		select {
		case <-served.done:
			if served.err != nil && !errors.Is(served.err, http.ErrServerClosed) {
				t.Errorf("x's API service: %v", served.err)
			}
		case <-time.After(e2eTimeout):
			t.Errorf("x's API service did not stop within %v", e2eTimeout)
		}
	})
	return GOSTAPI{
		URL:      "http://" + svc.Addr().String() + cfg.API.PathPrefix,
		User:     cfg.API.Auth.Username,
		Password: cfg.API.Auth.Password,
	}
}

// comparable strips what differs between a file and the API's JSON of the
// same config: lines (the API's JSON is one line) and the source.
type apiView struct {
	Plugins  []gostconfig.Plugin
	Findings []string
}

func viewOf(d *gostconfig.Deployment) apiView {
	v := apiView{}
	for _, p := range d.Plugins {
		p.Line = 0
		v.Plugins = append(v.Plugins, p)
	}
	for _, f := range d.Findings {
		v.Findings = append(v.Findings, string(f.Severity)+" "+f.Code+" "+f.Plugin)
	}
	slices.SortFunc(v.Findings, cmp.Compare)
	return v
}

// TestGOSTAPIParity serves every fixture config through x v0.15.2's real
// API service (path prefix, basic auth) and checks that FetchAPI + Parse
// reads the running config as Parse reads the file, lines aside.
func TestGOSTAPIParity(t *testing.T) {
	for _, file := range gostconfigFixtureFiles(t, "") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			want, err := gostconfig.Parse(filepath.Base(file), data)
			require.NoError(t, err)

			api := StartGOSTAPI(t, file, data)
			ctx := t.Context()
			_, _, err = gostconfig.FetchAPI(ctx, gostconfig.APIOptions{URL: api.URL, Timeout: e2eTimeout})
			require.ErrorIs(t, err, gostconfig.ErrAPIUnauthorized, "x's API demands basic auth")
			assert.Contains(t, err.Error(), "PLUGINCHECK_API_USER")

			source, body, err := gostconfig.FetchAPI(ctx, gostconfig.APIOptions{
				URL: api.URL, User: api.User, Password: api.Password, Timeout: e2eTimeout})
			require.NoError(t, err)
			assert.Equal(t, api.URL+"/config?format=json", source)
			assert.NotContains(t, source, api.Password)
			got, err := gostconfig.Parse(source, body)
			require.NoError(t, err)
			assert.Equal(t, source, got.Source)
			assert.Equal(t, viewOf(want), viewOf(got))
			for _, f := range got.Findings {
				assert.Equal(t, source, f.File)
			}
		})
	}
}

// TestGOSTAPIPathPrefix: without the prefix x's API answers 404, which
// FetchAPI explains.
func TestGOSTAPIPathPrefix(t *testing.T) {
	api := StartGOSTAPIConfig(t, &config.Config{})
	base := strings.TrimSuffix(api.URL, gostAPIPrefix)
	_, _, err := gostconfig.FetchAPI(t.Context(), gostconfig.APIOptions{URL: base, User: api.User, Password: api.Password, Timeout: e2eTimeout})
	require.ErrorIs(t, err, gostconfig.ErrAPI)
	assert.Contains(t, err.Error(), "pathPrefix")
}
