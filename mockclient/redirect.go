package mockclient

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxRedirects is how many redirects GOST follows. x's plugin http.Client
// keeps Go's default CheckRedirect, which stops after 10 consecutive
// requests (its error says "stopped after 10 redirects").
const MaxRedirects = 9

const (
	// maxURLText bounds a URL kept from a plugin's redirect in an
	// Observation; maxURLNote bounds it in a note.
	maxURLText = 256
	maxURLNote = 120
	// redactedToken replaces the token wherever a plugin echoes it.
	redactedToken = "<redacted>"
)

// Redirect is one redirect GOST followed: the request that was redirected
// and the plugin's redirect status.
type Redirect struct {
	// Method is the method of the redirected request: Go turns a POST
	// into a GET without body after 301, 302 and 303.
	Method string `json:"method"`
	// URL is the redirected URL, clipped to 256 bytes; a token the plugin
	// echoes in it is replaced by <redacted>.
	URL string `json:"url"`
	// Status is the plugin's redirect status (301, 302, 303, 307, 308).
	Status int `json:"status"`
}

// hop is one request the http.Client sent for a call.
type hop struct {
	method   string
	url      string // clipped to maxURLText, not yet redacted
	hostPort string // host:port with the scheme's default port
	status   int    // 0 when no response arrived
	auth     bool   // an Authorization header was sent
}

// hopLog collects the hops of one call; the hops of a call are sequential.
type hopLog struct{ hops []hop }

type hopSlot struct{}

// hopRecorder logs every request an http.Client sends for one call,
// redirects included. It sits below GOST's tokenTransport, so it sees the
// token on every hop exactly as the plugin does.
type hopRecorder struct{ base http.RoundTripper }

// CloseIdleConnections closes the idle connections of the transport below.
func (h hopRecorder) CloseIdleConnections() { closeIdle(h.base) }

func (h hopRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(req)
	if log, ok := req.Context().Value(hopSlot{}).(*hopLog); ok && len(log.hops) <= MaxRedirects {
		hp := hop{
			method:   req.Method,
			url:      clipText(req.URL.String(), maxURLText),
			hostPort: hostPort(req.URL),
			auth:     req.Header.Get("Authorization") != "",
		}
		if resp != nil {
			hp.status = resp.StatusCode
		}
		log.hops = append(log.hops, hp)
	}
	return resp, err
}

// hostPort is u's host and port, with the scheme's default port filled in.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// recordRedirects fills obs's redirect fields and facts from the hops of
// one call, whose http.Client.Do returned err. A call without redirects has
// exactly one hop and is left as is.
func (c *Client) recordRedirects(obs *Observation, log *hopLog, err error) {
	if len(log.hops) < 2 {
		return
	}
	last := len(log.hops) - 1
	first := log.hops[0]
	chain := make([]string, 0, len(log.hops))
	var crossed []string
	for i, h := range log.hops {
		if i < last {
			obs.Redirects = append(obs.Redirects, Redirect{Method: h.method, URL: c.redact(h.url), Status: h.status})
		}
		result := "no reply"
		if h.status != 0 {
			result = fmt.Sprint(h.status)
		}
		chain = append(chain, fmt.Sprintf("%s %s → %s", h.method, clipText(c.redact(h.url), maxURLNote), result))
		if hp := clipText(c.redact(h.hostPort), maxURLNote); h.auth && c.cfg.Token != "" &&
			h.hostPort != first.hostPort && len(crossed) < 3 && !slices.Contains(crossed, hp) {
			crossed = append(crossed, hp)
		}
	}
	obs.FinalURL = c.redact(log.hops[last].url)

	text := "the plugin redirected and GOST followed (Go's http.Client, at most 10 requests), using the last reply: " +
		strings.Join(chain, " ⇒ ")
	if log.hops[last].method != first.method {
		text += fmt.Sprintf("; after a 301, 302 or 303 Go resends a %s as a GET without body", first.method)
	}
	if err != nil && isRedirect(log.hops[last].status) {
		text += "; GOST gives up after 10 requests and the call fails"
	}
	obs.facts = append(obs.facts, Note{Code: NoteRedirected, Text: text})
	if len(crossed) > 0 {
		obs.tokenCrossHost = true
		obs.facts = append(obs.facts, Note{Code: NoteTokenCrossHost, Text: fmt.Sprintf(
			"GOST sends its token (Authorization: Bearer) to %s, not only to %s: its token RoundTripper adds the header "+
				"on every redirect hop, so Go's rule of dropping Authorization across hosts never applies; "+
				"redirect within the plugin's own host and port, or not at all",
			strings.Join(crossed, ", "), clipText(c.redact(first.hostPort), maxURLNote))})
	}
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redact replaces the token, and its URL-escaped forms, by <redacted>: a
// plugin may echo the token in a Location header or a reply key.
func (c *Client) redact(s string) string {
	t := c.cfg.Token
	if t == "" {
		return s
	}
	for _, form := range []string{t, url.QueryEscape(t), url.PathEscape(t)} {
		s = strings.ReplaceAll(s, form, redactedToken)
	}
	return s
}

// clipText shortens s to at most n bytes on a rune boundary, marking the
// cut with "…".
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// curlFollow returns the curl options that make curl follow the redirects
// GOST followed, and whether curl's -X must go: with -X curl keeps the
// method on every hop, where Go turns a POST into a GET after 301-303.
func curlFollow(obs *Observation) (args []string, dropMethod bool) {
	if len(obs.Redirects) == 0 {
		return nil, false
	}
	follow := "-L"
	if obs.tokenCrossHost {
		// Since 7.58 curl sends a custom Authorization header to the
		// first host only, unless trusted; GOST sends it everywhere.
		follow = "--location-trusted"
	}
	dropMethod = obs.Method == http.MethodGet || obs.Method == http.MethodPost && obs.Request != nil
	return []string{follow, "--max-redirs", fmt.Sprint(MaxRedirects)}, dropMethod
}
