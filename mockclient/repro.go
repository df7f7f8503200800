package mockclient

import (
	"net/url"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
)

// TokenVariable is the shell variable reproducer lines use in place of a
// redacted token.
const TokenVariable = "PLUGIN_TOKEN"

// ProtosetFile is the FileDescriptorSet gRPC reproducers read, named
// relative to where they run: plugincheck writes it beside a report file,
// and `plugincheck protoset > plugins.protoset` makes it anywhere else.
const ProtosetFile = "plugins.protoset"

// ProtosetVariable names another protoset file for gRPC reproducers run
// away from their report's directory.
const ProtosetVariable = "PLUGINCHECK_PROTOSET"

// protosetArg is the -protoset value: a parameter expansion POSIX sh
// knows, where bash's <(plugincheck protoset) was a syntax error in sh and
// needed plugincheck on PATH.
const protosetArg = `"${` + ProtosetVariable + `:-` + ProtosetFile + `}"`

// Reproducer returns a copy-paste POSIX sh command line that sends the same
// request: grpcurl for gRPC (its schema read from the ProtosetFile, since
// plugins rarely serve reflection), curl for HTTP. The token appears as
// "$PLUGIN_TOKEN" unless showToken is set. It returns "" for calls GOST
// would not send.
func (c *Client) Reproducer(obs *Observation, showToken bool) string {
	if !obs.Sent || obs.Failure == FailureRequest {
		return ""
	}
	line := c.curlLine
	if obs.Transport == GRPC {
		line = c.grpcurlLine
	}
	w := &shellWords{}
	if showToken {
		line(obs, w, c.cfg.Token)
		return w.String()
	}
	// The header reads the token from the variable; everywhere else (the
	// addr, a request that echoes it) it is redacted before quoting, so
	// that quoting cannot hide a form of it from the redaction.
	w.redact = c.cfg.Token
	token := ""
	if c.cfg.Token != "" {
		token = "$" + TokenVariable
	}
	line(obs, w, token)
	out := w.String()
	if clip.Contains(out, c.cfg.Token) {
		// The token is part of a fixed word (a token "POST"): the line
		// will not run as it is, but the token is not printed.
		out = clip.Redact(out, c.cfg.Token)
	}
	return out
}

func (c *Client) grpcurlLine(obs *Observation, w *shellWords, token string) {
	w.raw("grpcurl")
	tc := c.cfg.TLS
	switch {
	case tc == nil:
		w.raw("-plaintext")
	case !tc.Secure:
		w.raw("-insecure")
	}
	if tc != nil && tc.ServerName != "" {
		w.raw("-servername").value(tc.ServerName).raw("-authority").value(tc.ServerName)
	}
	if token != "" {
		w.raw("-H").header("token: ", token)
	}
	w.raw("-emit-defaults", "-protoset", protosetArg, "-d").value(string(obs.Request))
	target := c.cfg.Addr
	for _, scheme := range []string{"dns:///", "passthrough:///"} {
		target = strings.TrimPrefix(target, scheme)
	}
	if sock, ok := strings.CutPrefix(target, "unix://"); ok {
		w.raw("-unix")
		target = sock
	}
	w.value(target).value(strings.TrimPrefix(obs.Method, "/"))
}

func (c *Client) curlLine(obs *Observation, w *shellWords, token string) {
	follow, dropMethod := curlFollow(obs)
	w.raw("curl", "-sS", "-i")
	if !dropMethod {
		w.raw("-X").value(obs.Method)
	}
	w.raw(follow...)
	target := obs.Target
	if tc := c.cfg.TLS; tc != nil {
		// GOST's custom tls.Config disables HTTP/2: it speaks HTTP/1.1.
		w.raw("--http1.1")
		if !tc.Secure {
			w.raw("-k")
		}
		if t := c.target; tc.ServerName != "" && t.HTTPS && t.URL != nil {
			// curl sets SNI from the URL host; --connect-to keeps the real
			// address. Unlike GOST it also sends serverName as Host.
			port := t.Port()
			w.raw("--connect-to").value(tc.ServerName + ":" + port + ":" + t.URL.Host)
			if u, err := url.Parse(target); err == nil {
				u.Host = tc.ServerName + ":" + port
				target = u.String()
			}
		}
	}
	w.raw("-H").value("Content-Type: application/json")
	if token != "" {
		w.raw("-H").header("Authorization: Bearer ", token)
	}
	if obs.Request != nil {
		w.raw("--data-binary").value(string(obs.Request))
	}
	w.value(target)
}

// shellWords builds a POSIX sh command line word by word.
type shellWords struct {
	words  []string
	redact string // a token to redact from values before they are quoted
}

// raw appends words that are already shell syntax: flags and the
// -protoset expansion.
func (w *shellWords) raw(words ...string) *shellWords {
	w.words = append(w.words, words...)
	return w
}

// value appends s as one literal word.
func (w *shellWords) value(s string) *shellWords {
	return w.raw(shellQuote(clip.Redact(s, w.redact)))
}

// header appends a header whose token is either the $PLUGIN_TOKEN
// placeholder, which must still expand in the shell, or a literal token
// (--show-token), which must not.
func (w *shellWords) header(prefix, token string) *shellWords {
	if token == "$"+TokenVariable {
		// Inside double quotes only $, `, \ and " are special; prefix is
		// one of ours and holds none of them.
		return w.raw(`"` + prefix + token + `"`)
	}
	return w.raw(shellQuote(prefix + token))
}

func (w *shellWords) String() string { return strings.Join(w.words, " ") }

// shellQuote quotes s as one POSIX sh word: bare when every byte is one no
// shell treats specially, otherwise in single quotes, inside which sh
// (dash, bash, zsh in sh mode) takes every byte literally; a single quote
// itself closes the quotes, is escaped and reopens them. Hand-written, not a library:
// the rule is this one line, FuzzShellQuote checks it against a real sh,
// and no well-kept quoting package is in the project's dependency set.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
