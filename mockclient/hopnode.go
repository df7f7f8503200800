package mockclient

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// This file mirrors how GOST turns a hop plugin's reply into a node, without
// linking GOST: the types below are copies of x v0.15.2's config.NodeConfig
// and every type it reaches (x: config/config.go), with the same field names,
// field types and json tags (yaml tags dropped), so that encoding/json
// decodes a node exactly as GOST does: the same case-insensitive key
// matching, and the same errors for values of the wrong type.

type hopNodeConfig struct {
	Name      string                `json:"name"`
	Addr      string                `json:"addr,omitempty"`
	Network   string                `json:"network,omitempty"`
	Bypass    string                `json:"bypass,omitempty"`
	Bypasses  []string              `json:"bypasses,omitempty"`
	Resolver  string                `json:"resolver,omitempty"`
	Hosts     string                `json:"hosts,omitempty"`
	Connector *hopConnectorConfig   `json:"connector,omitempty"`
	Dialer    *hopDialerConfig      `json:"dialer,omitempty"`
	Interface string                `json:"interface,omitempty"`
	Netns     string                `json:"netns,omitempty"`
	SockOpts  *hopSockOptsConfig    `json:"sockopts,omitempty"`
	Filter    *hopNodeFilterConfig  `json:"filter,omitempty"`
	Matcher   *hopNodeMatcherConfig `json:"matcher,omitempty"`
	HTTP      *hopHTTPNodeConfig    `json:"http,omitempty"`
	TLS       *hopTLSNodeConfig     `json:"tls,omitempty"`
	Probe     *hopProbeConfig       `json:"probe,omitempty"`
	Metadata  map[string]any        `json:"metadata,omitempty"`
}

type hopConnectorConfig struct {
	Type     string         `json:"type"`
	Auth     *hopAuthConfig `json:"auth,omitempty"`
	TLS      *hopTLSConfig  `json:"tls,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

type hopDialerConfig struct {
	Type     string         `json:"type"`
	Auth     *hopAuthConfig `json:"auth,omitempty"`
	TLS      *hopTLSConfig  `json:"tls,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

type hopAuthConfig struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	File     string `json:"file,omitempty"`
}

type hopTLSConfig struct {
	CertFile   string         `json:"certFile,omitempty"`
	KeyFile    string         `json:"keyFile,omitempty"`
	CAFile     string         `json:"caFile,omitempty"`
	Secure     bool           `json:"secure,omitempty"`
	ServerName string         `json:"serverName,omitempty"`
	Options    *hopTLSOptions `json:"options,omitempty"`

	Validity     time.Duration `json:"validity,omitempty"`
	CommonName   string        `json:"commonName,omitempty"`
	Organization string        `json:"organization,omitempty"`

	RejectUnknownSNI bool     `json:"rejectUnknownSNI,omitempty"`
	ServerNames      []string `json:"serverNames,omitempty"`
}

type hopTLSOptions struct {
	MinVersion   string   `json:"minVersion,omitempty"`
	MaxVersion   string   `json:"maxVersion,omitempty"`
	CipherSuites []string `json:"cipherSuites,omitempty"`
	ALPN         []string `json:"alpn,omitempty"`
}

type hopSockOptsConfig struct {
	Mark int `json:"mark,omitempty"`
}

type hopNodeFilterConfig struct {
	Host     string `json:"host,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Path     string `json:"path,omitempty"`
}

type hopNodeMatcherConfig struct {
	Rule     string `json:"rule,omitempty"`
	Priority int    `json:"priority,omitempty"`
	BodySize int    `json:"bodySize,omitempty"`
}

type hopHTTPNodeConfig struct {
	Host                string                     `json:"host,omitempty"`
	Header              map[string]string          `json:"header,omitempty"`
	RequestHeader       map[string]string          `json:"requestHeader,omitempty"`
	ResponseHeader      map[string]string          `json:"responseHeader,omitempty"`
	Rewrite             []hopHTTPURLRewriteConfig  `json:"rewrite,omitempty"`
	RewriteURL          []hopHTTPURLRewriteConfig  `json:"rewriteURL,omitempty"`
	RewriteBody         []hopHTTPBodyRewriteConfig `json:"rewriteBody,omitempty"`
	RewriteRequestBody  []hopHTTPBodyRewriteConfig `json:"rewriteRequestBody,omitempty"`
	RewriteResponseBody []hopHTTPBodyRewriteConfig `json:"rewriteResponseBody,omitempty"`
	FailCodes           string                     `json:"failCodes,omitempty"`
	Auth                *hopAuthConfig             `json:"auth,omitempty"`
}

// hopHTTPURLRewriteConfig has no json tags in x either: its keys are the
// field names, matched case-insensitively.
type hopHTTPURLRewriteConfig struct {
	Match       string
	Replacement string
}

type hopHTTPBodyRewriteConfig struct {
	Type         string
	Match        string
	Replacement  string
	Rewriter     string `json:"rewriter,omitempty"`
	MaxChunkSize int    `json:"maxChunkSize,omitempty"`
}

type hopTLSNodeConfig struct {
	ServerName string         `json:"serverName,omitempty"`
	Secure     bool           `json:"secure,omitempty"`
	Options    *hopTLSOptions `json:"options,omitempty"`
}

// hopProbeConfig's durations are integer nanoseconds in JSON, as in x.
type hopProbeConfig struct {
	Type           string            `json:"type"`
	Addr           string            `json:"addr,omitempty"`
	Interval       time.Duration     `json:"interval"`
	Timeout        time.Duration     `json:"timeout"`
	HTTPPath       string            `json:"httpPath,omitempty"`
	HTTPHost       string            `json:"httpHost,omitempty"`
	HTTPHeaders    map[string]string `json:"httpHeaders,omitempty"`
	ExpectedStatus int               `json:"expectedStatus,omitempty"`
	Command        string            `json:"command,omitempty"`
}

// hopConnectorTypes are the connector names registered in GOST's connector
// registry: every `registry.ConnectorRegistry().Register("…")` in the
// non-test files of github.com/go-gost/x v0.15.2 (connector/*), all of which
// the gost binary links. The registry matches names exactly (case-sensitive).
var hopConnectorTypes = []string{
	"direct", "forward", "http", "http2", "masque", "relay", "router", "serial",
	"sni", "socks", "socks4", "socks4a", "socks5", "ss", "sshd", "ssu", "tcp",
	"tunnel", "unix", "virtual",
}

// hopDialerTypes are the dialer names registered in GOST's dialer registry:
// every `registry.DialerRegistry().Register("…")` in the non-test files of
// github.com/go-gost/x v0.15.2 (dialer/*), all of which the gost binary links.
var hopDialerTypes = []string{
	"direct", "dtls", "ftcp", "grpc", "h2", "h2c", "h3", "h3-masque", "http2",
	"http3", "icmp", "icmp6", "kcp", "mtcp", "mtls", "mws", "mwss", "ohttp",
	"ohttps", "otls", "pht", "phts", "quic", "serial", "ssh", "sshd", "tcp",
	"tls", "udp", "unix", "utls", "virtual", "wg", "ws", "wss", "wt",
}

// hopParsed is what plugincheck can tell of x's node_parser.ParseNode for
// one node.
type hopParsed struct {
	// node is nil when ParseNode certainly fails.
	node *HopNode
	// unusable says why ParseNode fails; empty when node is non-nil.
	unusable string
	// fileRefs name the files ParseNode would load on GOST's host; each
	// fails the node if it is missing there.
	fileRefs []string
}

// parseHopNode mirrors the failure cases of x's node_parser.ParseNode that do
// not depend on GOST's host, in ParseNode's order: connector TLS files,
// connector registry, connector Init (ss/ssu need auth and a cipher they
// know; tunnel and router need a UUID as their ID), dialer TLS files, dialer
// registry, dialer Init (kcp's inline config must decode). Init failures
// that depend on files on GOST's host (ssh/sshd private keys, kcp config
// files) are not mirrored.
func parseHopNode(cfg *hopNodeConfig) hopParsed {
	var p hopParsed
	connector := "http"
	var connAuth *hopAuthConfig
	var connTLS, dialTLS *hopTLSConfig
	if c := cfg.Connector; c != nil {
		if c.Type != "" {
			connector = c.Type
		}
		connAuth, connTLS = c.Auth, c.TLS
	}
	dialer := "tcp"
	if d := cfg.Dialer; d != nil {
		if d.Type != "" {
			dialer = d.Type
		}
		dialTLS = d.TLS
	}

	if p.unusable = p.checkTLS("connector", connTLS); p.unusable != "" {
		return p
	}
	if !slices.Contains(hopConnectorTypes, connector) {
		p.unusable = fmt.Sprintf("unregistered connector: %s", connector)
		return p
	}
	var connMD map[string]any
	if cfg.Connector != nil {
		connMD = cfg.Connector.Metadata
	}
	if p.unusable = p.checkConnectorInit(connector, connAuth, connMD); p.unusable != "" {
		return p
	}
	if p.unusable = p.checkTLS("dialer", dialTLS); p.unusable != "" {
		return p
	}
	if !slices.Contains(hopDialerTypes, dialer) {
		p.unusable = fmt.Sprintf("unregistered dialer: %s", dialer)
		return p
	}
	if dialer == "kcp" && cfg.Dialer != nil {
		if p.unusable = checkKCPConfig(cfg.Dialer.Metadata); p.unusable != "" {
			return p
		}
		if f := hopMDString(cfg.Dialer.Metadata, "kcp.configFile", "configFile", "c"); f != "" {
			p.fileRefs = append(p.fileRefs, fmt.Sprintf("dialer.metadata kcp config file %q", f))
		}
	}
	if (dialer == "ssh" || dialer == "sshd") && cfg.Dialer != nil {
		if f := hopMDString(cfg.Dialer.Metadata, "privateKeyFile"); f != "" {
			p.fileRefs = append(p.fileRefs, fmt.Sprintf("dialer.metadata privateKeyFile %q", f))
		}
	}

	p.node = &HopNode{Name: cfg.Name, Addr: cfg.Addr, Network: cfg.Network, Connector: connector, Dialer: dialer}
	return p
}

// checkTLS mirrors tls_util.LoadClientConfig: with certFile or keyFile set it
// calls tls.LoadX509KeyPair, which cannot succeed when the other one is
// empty; caFile is read when set.
func (p *hopParsed) checkTLS(side string, t *hopTLSConfig) string {
	if t == nil {
		return ""
	}
	if t.CertFile != "" || t.KeyFile != "" {
		if t.CertFile == "" || t.KeyFile == "" {
			return fmt.Sprintf("%s tls: certFile %q and keyFile %q must both be set: tls.LoadX509KeyPair cannot read an empty path", side, t.CertFile, t.KeyFile)
		}
		p.fileRefs = append(p.fileRefs,
			fmt.Sprintf("%s.tls.certFile %q", side, t.CertFile),
			fmt.Sprintf("%s.tls.keyFile %q", side, t.KeyFile))
	}
	if t.CAFile != "" {
		p.fileRefs = append(p.fileRefs, fmt.Sprintf("%s.tls.caFile %q", side, t.CAFile))
	}
	return ""
}

// checkConnectorInit mirrors the connector Init failures that depend only on
// the node: ss/ssu auth and cipher, and the tunnel and router IDs, which
// x's tunnel and router connectors parse with uuid.Parse when set
// (x: connector/tunnel/metadata.go, connector/router/metadata.go).
func (p *hopParsed) checkConnectorInit(connector string, a *hopAuthConfig, md map[string]any) string {
	var id string
	switch connector {
	case "ss", "ssu":
		return p.checkSSAuth(a)
	case "tunnel":
		id = hopMDString(md, "tunnelID", "tunnel.id")
	case "router":
		id = hopMDString(md, "router.id")
	}
	if id != "" {
		if _, err := uuid.Parse(id); err != nil {
			return fmt.Sprintf("connector init: %s ID %q: %v", connector, id, err)
		}
	}
	return ""
}

// checkSSAuth mirrors the ss and ssu connectors' Init, which fail with "ss:
// auth is required" when auth_parser.Info yields no user: no auth block, or
// an empty username and no auth file. With an auth file and no username, the
// file on GOST's host decides. Otherwise the username is the cipher and the
// password its key, checked as go-shadowsocks2's utils.NewClientConfig does
// (checkSSCipher); with an auth file, the file may override both.
func (p *hopParsed) checkSSAuth(a *hopAuthConfig) string {
	switch {
	case a == nil || (a.File == "" && a.Username == ""):
		return "connector init: ss: auth is required"
	case a.Username == "":
		p.fileRefs = append(p.fileRefs, fmt.Sprintf("connector.auth.file %q", a.File))
	case a.File == "":
		return checkSSCipher(a.Username, a.Password)
	}
	return ""
}

// checkSSCipher mirrors the ss connectors' Init after the auth check: "none"
// and "dummy" (any case) need no key; otherwise go-shadowsocks2 v0.1.3's
// PickCipher looks the lower-cased method up among the ciphers it supports.
// The AEAD ciphers derive their key from any password; the 2022 ones take
// ":"-separated standard-base64 keys, the last of which must be 16 or 32
// bytes long.
func checkSSCipher(method, password string) string {
	if strings.EqualFold(method, "none") || strings.EqualFold(method, "dummy") {
		return ""
	}
	switch strings.ToLower(method) {
	case "chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm":
		return ""
	case "2022-blake3-aes-128-gcm", "2022-blake3-aes-256-gcm":
		var key []byte
		for _, v := range strings.Split(password, ":") {
			k, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return fmt.Sprintf("connector init: ss cipher %s: the password is not base64 keys: %v", method, err)
			}
			key = k
		}
		if l := len(key); l != 16 && l != 32 {
			return fmt.Sprintf("connector init: ss cipher %s: crypto/aes: invalid key size %d", method, l)
		}
		return ""
	}
	return fmt.Sprintf("connector init: ss cipher %q: cipher not supported", method)
}

// hopKCPConfig is x's internal/util/kcp.Config, whose json tags decide how
// the kcp dialer decodes its inline config.
type hopKCPConfig struct {
	Key          string `json:"key"`
	Crypt        string `json:"crypt"`
	Mode         string `json:"mode"`
	MTU          int    `json:"mtu"`
	SndWnd       int    `json:"sndwnd"`
	RcvWnd       int    `json:"rcvwnd"`
	DataShard    int    `json:"datashard"`
	ParityShard  int    `json:"parityshard"`
	DSCP         int    `json:"dscp"`
	NoComp       bool   `json:"nocomp"`
	AckNodelay   bool   `json:"acknodelay"`
	NoDelay      int    `json:"nodelay"`
	Interval     int    `json:"interval"`
	Resend       int    `json:"resend"`
	NoCongestion int    `json:"nc"`
	SockBuf      int    `json:"sockbuf"`
	SmuxBuf      int    `json:"smuxbuf"`
	StreamBuf    int    `json:"streambuf"`
	SmuxVer      int    `json:"smuxver"`
	KeepAlive    int    `json:"keepalive"`
	SnmpLog      string `json:"snmplog"`
	SnmpPeriod   int    `json:"snmpperiod"`
	Signal       bool   `json:"signal"`
	TCP          bool   `json:"tcp"`
}

// checkKCPConfig mirrors the kcp dialer's Init (x: dialer/kcp/metadata.go):
// a non-empty object under kcp.config (or config) is re-marshalled and
// decoded into kcp.Config, which fails for values of the wrong type. A
// config file (kcp.configFile) is read on GOST's host and not mirrored.
func checkKCPConfig(md map[string]any) string {
	m, _ := hopMDValue(md, "kcp.config", "config").(map[string]any)
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &hopKCPConfig{})
	}
	if err != nil {
		return fmt.Sprintf("dialer init: kcp config: %v", err)
	}
	return ""
}

// hopMDValue is the value of the first of keys present in md, matched
// case-insensitively as x's metadata does (x: metadata.NewMetadata lowers
// every key; mdutil.Get* stop at the first key that exists).
func hopMDValue(md map[string]any, keys ...string) any {
	lower := make(map[string]any, len(md))
	for k, v := range md {
		lower[strings.ToLower(k)] = v
	}
	for _, k := range keys {
		if v, ok := lower[strings.ToLower(k)]; ok {
			return v
		}
	}
	return nil
}

// hopMDString mirrors x's mdutil.GetString for values decoded from JSON:
// strings as they are, numbers and booleans formatted, anything else "".
func hopMDString(md map[string]any, keys ...string) string {
	switch v := hopMDValue(md, keys...).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}
