package mockclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/plugincheck/plugincheck/mockclient/internal/h1"
)

// DefaultCallTimeout bounds every call when Config.CallTimeout is zero. GOST
// itself sets no deadline on gRPC plugin calls; plugincheck must never hang.
const DefaultCallTimeout = 5 * time.Second

// MaxReplyBytes caps how much of an HTTP reply plugincheck will read in one
// call, within the reply budget all calls share (Config.ReplyBudget). GOST
// reads without a limit; a larger reply is reported as a failure instead of
// exhausting the harness's memory. gRPC replies are capped at 4 MiB by
// grpc-go's default receive limit, exactly as in GOST.
const MaxReplyBytes = 32 << 20

// Config mirrors a GOST plugin block (type, addr, tls, token, timeout) plus
// plugincheck's own per-call deadline.
type Config struct {
	// Addr is the plugin address exactly as GOST's `addr`: a gRPC target
	// (host:port, dns:///…, unix:///…) or, for HTTP, the full URL used verbatim.
	// New takes whatever GOST takes; ParseAddress is the stricter check a
	// command runs first, to refuse an address that never reaches a plugin.
	Addr string
	// Transport selects gRPC or HTTP; empty means DetectTransport(Addr).
	Transport Transport
	// Module is the module the plugin block serves, when known. It changes
	// how GOST reads the address in one place: GOST's HTTP observer alone
	// prepends "http://" to an addr without a scheme (see ParseTarget).
	Module Module
	// Token is GOST's `token`: gRPC metadata "token", or HTTP
	// "Authorization: Bearer <token>".
	Token string
	// TLS is GOST's `tls` block; nil means the block is absent.
	TLS *TLSConfig
	// Timeout is GOST's `timeout`. GOST applies it to HTTP plugins only (as
	// http.Client.Timeout); gRPC plugins ignore it.
	Timeout time.Duration
	// CallTimeout is plugincheck's own bound on each call, which GOST lacks;
	// zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// HTTPPool sizes the HTTP keep-alive pool: at most HTTPPool connections
	// to the plugin, all kept open between calls. Zero keeps net/http's
	// defaults, as GOST does (two idle connections kept). Load tests set it
	// so that many callers do not open and close a connection per call.
	HTTPPool int
	// Lean leaves out of each gRPC Observation what only reports use: the
	// protojson copies of the request and reply, and the TLS state. Verdicts
	// are unaffected. Load tests set it, since they keep no per-call detail
	// and the copies would cost more CPU than the call itself. An HTTP
	// client built by New with Lean also gets a lean HTTP/1.1 pool of
	// HTTPPool connections (100 when zero), which only Prepared calls use:
	// they send the bytes GOST's net/http client writes at a third of its
	// CPU. Operation.Do keeps net/http, as GOST does.
	Lean bool

	// ReplyBudget bounds the HTTP reply bytes that all calls of the client
	// hold at once while decoding; zero means DefaultReplyBudget. A reply
	// that does not fit fails with ErrReplyTooLarge, so memory stays flat
	// whatever the number of concurrent callers.
	ReplyBudget int64
}

// TLSConfig holds the only two fields of a GOST plugin `tls` block that GOST
// uses; caFile, certFile and keyFile are ignored for plugins.
type TLSConfig struct {
	// Secure verifies the server against the system roots (`secure: true`).
	// Without it GOST skips verification entirely.
	Secure bool
	// ServerName sets SNI and, for gRPC, the :authority header.
	ServerName string
}

// clientTLS builds the tls.Config GOST builds from a plugin's tls block.
func (t *TLSConfig) clientTLS() *tls.Config {
	if t == nil {
		return nil
	}
	return &tls.Config{
		ServerName:         t.ServerName,
		InsecureSkipVerify: !t.Secure, //nolint:gosec // GOST's semantics: `tls: {}` means no verification.
	}
}

// Client plays GOST's side of one plugin: one gRPC ClientConn or one
// http.Client shared by every call, as GOST shares one per plugin instance.
type Client struct {
	cfg         Config
	transport   Transport
	callTimeout time.Duration
	target      Target // cfg's address as ParseTarget reads it, refused or not
	observerURL string // the URL GOST's HTTP observer posts to

	conn       grpc.ClientConnInterface // gRPC transport
	owned      *grpc.ClientConn         // conn, when New dialled it; nil for NewGRPC's
	metaToken  bool                     // add the token as call metadata (NewGRPC: the conn has no per-RPC credentials)
	handshakes *handshakeClock          // gRPC TLS handshake timing; nil in Lean mode
	hc         *http.Client             // HTTP transport
	replies    *replyBudget             // HTTP reply bytes held by calls in flight

	lean    *h1.Pool    // HTTP/1.1 pool of Prepared calls; nil unless Lean and built by New
	leanKey string      // scheme://host:port the lean pool dials
	leanOff atomic.Bool // a reply needed net/http: Prepared calls use hc from now on

	keysMemo  keysMemos                   // the key scans of the last replies (replyKeysOf)
	leanToken atomic.Pointer[http.Header] // a Lean gRPC client's shared Observation.Header
}

// ErrInvalidTarget reports an address GOST could not build a client for. GOST
// then runs the plugin with a nil client, see NilClientVerdict.
var ErrInvalidTarget = errors.New("invalid plugin address")

// New builds GOST's client for cfg. Like GOST it does not connect until the
// first call. When GOST cannot build a client for the address either, the
// error says what GOST then does with cfg.Module's plugin.
func New(cfg Config) (*Client, error) {
	// ParseTarget may refuse what GOST accepts (it is the stricter check a
	// command runs first); New takes the address regardless, and detects
	// the transport from it as DetectTransport does.
	target, err := targetOf(cfg, parseAddress)
	transport := target.Transport
	if err != nil && cfg.Transport == "" {
		transport = DetectTransport(cfg.Addr)
	}
	c := newClient(cfg, transport, target)
	switch transport {
	case GRPC:
		if !cfg.Lean && cfg.TLS != nil {
			c.handshakes = &handshakeClock{}
		}
		conn, err := newGRPCConn(cfg, c.handshakes)
		if err != nil {
			return nil, WithoutClient(fmt.Errorf("%w %q: %w", ErrInvalidTarget, cfg.Addr, err), cfg.Module)
		}
		c.conn, c.owned = conn, conn
	case HTTP:
		c.hc = newHTTPClient(cfg, nil)
		c.lean, c.leanKey = newLeanPool(cfg, target)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownTransport, transport)
	}
	return c, nil
}

// Transport reports which transport the client speaks.
func (c *Client) Transport() Transport { return c.transport }

// Config returns the configuration the client was built from.
func (c *Client) Config() Config { return c.cfg }

// Close releases the gRPC connection or the idle HTTP connections, as GOST
// does when a plugin is replaced on reload.
func (c *Client) Close() error {
	if c.owned != nil {
		return c.owned.Close()
	}
	if c.hc != nil {
		c.hc.CloseIdleConnections()
	}
	if c.lean != nil {
		return c.lean.Close()
	}
	return nil
}

// NewGRPC builds GOST's client for cfg over a connection the caller owns,
// such as one dialled to a bufconn listener in a plugin's own tests. The
// token, when cfg has one, goes as the "token" metadata GOST sends; cfg's
// address and tls block are kept for reports only, since cc is already
// dialled. Close leaves cc open: its owner closes it.
func NewGRPC(cc grpc.ClientConnInterface, cfg Config) (*Client, error) {
	if cc == nil {
		return nil, fmt.Errorf("%w: NewGRPC needs a connection", ErrInvalidTarget)
	}
	cfg.Transport = GRPC
	target, _ := targetOf(cfg, parseAddress)
	c := newClient(cfg, cfg.Transport, target)
	c.conn, c.metaToken = cc, cfg.Token != ""
	return c, nil
}

// NewHTTP builds GOST's client for cfg over the caller's http.Client, such
// as an httptest server's Client(). GOST's token header and the redirect
// and header recording wrap hc's transport; hc itself is not changed.
// cfg.Timeout, GOST's `timeout`, replaces hc.Timeout when set.
func NewHTTP(hc *http.Client, cfg Config) (*Client, error) {
	if hc == nil {
		return nil, fmt.Errorf("%w: NewHTTP needs an http.Client", ErrInvalidTarget)
	}
	cfg.Transport = HTTP
	target, _ := targetOf(cfg, parseAddress)
	c := newClient(cfg, cfg.Transport, target)
	c.hc = newHTTPClient(cfg, hc)
	return c, nil
}

// newClient holds what every constructor shares. The target is kept
// whether or not ParseTarget refused it: GOST uses the address all the same.
func newClient(cfg Config, transport Transport, target Target) *Client {
	c := &Client{
		cfg: cfg, transport: transport, callTimeout: callTimeoutOf(cfg),
		target: target, replies: newReplyBudget(cfg.ReplyBudget),
	}
	if transport == HTTP {
		// The client may serve any module; the observer alone reads the
		// address differently.
		obs := target
		if cfg.Module != Observer || target.Transport != HTTP {
			obs, _ = targetOf(Config{Addr: cfg.Addr, Transport: HTTP, Module: Observer}, parseAddress)
		}
		c.observerURL = obs.RequestURL()
	}
	return c
}

// httpURL is the URL GOST sends module m's HTTP calls to.
func (c *Client) httpURL(m Module) string {
	if m == Observer {
		return c.observerURL
	}
	return c.cfg.Addr
}

// WithoutClient adds to err, an address GOST cannot build a client for,
// what GOST then does with module m's plugin (its nil-client verdict); err
// is returned as is when m is empty or has no such rule.
func WithoutClient(err error, m Module) error {
	if m == "" {
		return err
	}
	if op, lerr := LookupOperation(m, ""); lerr == nil && op.NilClientEffect != "" {
		return fmt.Errorf("%w; GOST would run this %s plugin without a client: %s", err, m, op.NilClientEffect)
	}
	return err
}

func callTimeoutOf(cfg Config) time.Duration {
	if cfg.CallTimeout > 0 {
		return cfg.CallTimeout
	}
	return DefaultCallTimeout
}
