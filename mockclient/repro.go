package mockclient

import (
	"net/url"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
)

// TokenVariable is the shell variable reproducer lines use in place of a
// redacted token.
const TokenVariable = "PLUGIN_TOKEN"

// Reproducer returns a copy-paste command line that sends the same request:
// grpcurl for gRPC (its schema read from `plugincheck protoset`, since plugins
// rarely serve reflection), curl for HTTP. The token appears as
// "$PLUGIN_TOKEN" unless showToken is set. It returns "" for calls GOST
// would not send.
func (c *Client) Reproducer(obs *Observation, showToken bool) string {
	if !obs.Sent || obs.Failure == FailureRequest {
		return ""
	}
	token := ""
	if c.cfg.Token != "" {
		token = "$" + TokenVariable
		if showToken {
			token = c.cfg.Token
		}
	}
	line := c.curlLine
	if obs.Transport == GRPC {
		line = c.grpcurlLine
	}
	if showToken {
		return line(obs, token, true)
	}
	// The token may also sit in the addr or the request; the header uses
	// the variable, everything else shows it redacted.
	return clip.Redact(line(obs, token, false), c.cfg.Token)
}

func (c *Client) grpcurlLine(obs *Observation, token string, literal bool) string {
	args := []string{"grpcurl"}
	tc := c.cfg.TLS
	switch {
	case tc == nil:
		args = append(args, "-plaintext")
	case !tc.Secure:
		args = append(args, "-insecure")
	}
	if tc != nil && tc.ServerName != "" {
		args = append(args, "-servername", shellQuote(tc.ServerName), "-authority", shellQuote(tc.ServerName))
	}
	if token != "" {
		args = append(args, "-H", headerArg("token: ", token, literal))
	}
	args = append(args, "-emit-defaults", "-protoset", "<(plugincheck protoset)",
		"-d", shellQuote(string(obs.Request)))
	target := c.cfg.Addr
	for _, scheme := range []string{"dns:///", "passthrough:///"} {
		target = strings.TrimPrefix(target, scheme)
	}
	if sock, ok := strings.CutPrefix(target, "unix://"); ok {
		args = append(args, "-unix")
		target = sock
	}
	args = append(args, shellQuote(target), strings.TrimPrefix(obs.Method, "/"))
	return strings.Join(args, " ")
}

func (c *Client) curlLine(obs *Observation, token string, literal bool) string {
	follow, dropMethod := curlFollow(obs)
	args := []string{"curl", "-sS", "-i"}
	if !dropMethod {
		args = append(args, "-X", obs.Method)
	}
	args = append(args, follow...)
	target := obs.Target
	if tc := c.cfg.TLS; tc != nil {
		// GOST's custom tls.Config disables HTTP/2: it speaks HTTP/1.1.
		args = append(args, "--http1.1")
		if !tc.Secure {
			args = append(args, "-k")
		}
		if t := c.target; tc.ServerName != "" && t.HTTPS && t.URL != nil {
			// curl sets SNI from the URL host; --connect-to keeps the real
			// address. Unlike GOST it also sends serverName as Host.
			port := t.Port()
			args = append(args, "--connect-to", shellQuote(tc.ServerName+":"+port+":"+t.URL.Host))
			if u, err := url.Parse(target); err == nil {
				u.Host = tc.ServerName + ":" + port
				target = u.String()
			}
		}
	}
	args = append(args, "-H", shellQuote("Content-Type: application/json"))
	if token != "" {
		args = append(args, "-H", headerArg("Authorization: Bearer ", token, literal))
	}
	if obs.Request != nil {
		args = append(args, "--data-binary", shellQuote(string(obs.Request)))
	}
	args = append(args, shellQuote(target))
	return strings.Join(args, " ")
}

// headerArg quotes a header so that a $PLUGIN_TOKEN placeholder still
// expands in the shell while a literal token does not.
func headerArg(prefix, token string, literal bool) string {
	if literal {
		return shellQuote(prefix + token)
	}
	return `"` + prefix + token + `"`
}

// shellQuote quotes s for POSIX shells.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
