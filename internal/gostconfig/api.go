package gostconfig

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/plugincheck/plugincheck/clip"
)

// APIOptions says how to reach a running GOST's web API.
type APIOptions struct {
	// URL is the base URL with any path prefix (the api block's
	// pathPrefix), e.g. http://127.0.0.1:18080/api.
	URL string
	// User and Password are sent as basic auth when User is set: GOST's
	// API checks them with the api block's auth or auther.
	User     string
	Password string
	// Timeout bounds the whole request; 0 means DefaultAPITimeout.
	Timeout time.Duration
	// Client is the HTTP client to use; nil means a plain one (Go's
	// default transport, so https:// verifies against the system roots).
	Client *http.Client
}

// DefaultAPITimeout bounds a FetchAPI call when APIOptions.Timeout is 0.
const DefaultAPITimeout = 30 * time.Second

// ErrAPIUnauthorized is wrapped by FetchAPI's error when GOST's API answers
// 401.
var ErrAPIUnauthorized = errors.New("GOST's API refused the credentials (401)")

// ErrAPI is wrapped by every other FetchAPI failure.
var ErrAPI = errors.New("cannot read GOST's config from its API")

// FetchAPI GETs the running config from GOST's web API (GET
// <URL>/config?format=json, the route x/api registers under its path
// prefix) and returns the source name to report (the URL, credentials
// removed) and the body, at most MaxConfigSize bytes.
func FetchAPI(ctx context.Context, opts APIOptions) (source string, data []byte, err error) {
	base, err := url.Parse(strings.TrimSpace(opts.URL))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return "", nil, fmt.Errorf("%w: --api %q: want an http:// or https:// URL with any path prefix, e.g. http://127.0.0.1:18080/api", ErrAPI, clip.Text(redactURL(opts.URL), 200))
	}
	user, password := opts.User, opts.Password
	if base.User != nil { // credentials in the URL count, but never appear in output
		if user == "" {
			user = base.User.Username()
			password, _ = base.User.Password()
		}
		base.User = nil
	}
	base.RawQuery, base.Fragment = "", ""
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + "/config"
	u.RawPath = ""
	u.RawQuery = "format=json"
	source = u.String()

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultAPITimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
	if err != nil {
		return source, nil, fmt.Errorf("%w: %s: %w", ErrAPI, source, err)
	}
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	req.Header.Set("Accept", "application/json")
	hc := opts.Client
	if hc == nil {
		hc = &http.Client{}
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The request URL carries no credentials, so neither does err.
		return source, nil, fmt.Errorf("%w: %w", ErrAPI, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		hint := "set --api-user and --api-password (or PLUGINCHECK_API_USER and PLUGINCHECK_API_PASSWORD) to the api block's auth"
		if user != "" {
			hint = "check --api-user and --api-password (or PLUGINCHECK_API_USER and PLUGINCHECK_API_PASSWORD) against the api block's auth or auther"
		}
		return source, nil, fmt.Errorf("%s: %w; %s", source, ErrAPIUnauthorized, hint)
	case resp.StatusCode == http.StatusNotFound:
		return source, nil, fmt.Errorf("%w: %s: 404 Not Found; is the URL GOST's API with its pathPrefix (api.pathPrefix in the config)?", ErrAPI, source)
	case resp.StatusCode != http.StatusOK:
		return source, nil, fmt.Errorf("%w: %s: HTTP %d", ErrAPI, source, resp.StatusCode)
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, MaxConfigSize+1))
	if err != nil {
		return source, nil, fmt.Errorf("%w: %s: reading the body: %w", ErrAPI, source, err)
	}
	if len(data) > MaxConfigSize {
		return source, nil, fmt.Errorf("%w: %s: %w: more than %d MiB", ErrAPI, source, ErrTooLarge, MaxConfigSize>>20)
	}
	return source, data, nil
}

// redactURL removes any password from a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if i := strings.Index(s, "@"); i >= 0 {
			if j := strings.Index(s, "://"); j >= 0 && j < i {
				return s[:j+3] + "…" + s[i:]
			}
		}
		return s
	}
	u.User = nil
	return u.String()
}
