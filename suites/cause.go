package suites

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// Cause codes: one per reason a run fails or warns, in GOST's terms.
// docs/report-schema.md lists each with its severity and GOST's
// consequence.
const (
	// CauseHTTPPath: every HTTP call got 404 or 405, so --addr names a
	// path the plugin does not serve.
	CauseHTTPPath = "http-path"
	// CauseUnimplementedService: the gRPC server has no such service.
	CauseUnimplementedService = "unimplemented-service"
	// CauseUnimplementedMethod: the service is served but lacks a method,
	// the mark of stubs generated from an older go-gost/plugin.
	CauseUnimplementedMethod = "unimplemented-method"
	// CauseUnauthenticated: every call was refused as unauthenticated.
	CauseUnauthenticated = "unauthenticated"
	// CauseStatus: the plugin answered every call, but only with an error
	// status (gRPC code or HTTP status).
	CauseStatus = "status"
	// CauseNotDelivered: an observer or recorder reply without ok:true.
	CauseNotDelivered = "not-delivered"
	// CauseTokenCrossHost: a redirect took the token to another host or
	// port.
	CauseTokenCrossHost = "token-cross-host"
	// CauseRedirected: GOST follows a redirect on the plugin's calls.
	CauseRedirected = "redirected"
	// CauseDeniesAll: an admission plugin denied every request in the
	// form GOST sends.
	CauseDeniesAll = "admission-denies-all"
	// CauseReplyKeysIgnored: replies carry keys GOST does not read.
	CauseReplyKeysIgnored = "reply-keys-ignored"
	// CauseLimiterFloor: a limit so low that no real connection survives.
	CauseLimiterFloor = "limiter-floor"
	// CauseGOSTTimeout: HTTP calls that reached GOST's own timeout.
	CauseGOSTTimeout = "gost-timeout"
	// CauseUnreachable: no call reached the plugin (set by the command
	// line, which has the TLS audit and the probe).
	CauseUnreachable = "unreachable"
	// CauseTLS: GOST could not complete TLS with the plugin.
	CauseTLS = "tls"
)

// Note codes the causes are built from, named once here for brevity.
const (
	noteReplyKeysIgnored     = mockclient.NoteReplyKeysIgnored
	noteUnimplementedMethod  = mockclient.NoteUnimplementedMethod
	noteUnimplementedService = mockclient.NoteUnimplementedService
	noteRedirected           = mockclient.NoteRedirected
	noteTokenCrossHost       = mockclient.NoteTokenCrossHost
	noteLimiterFloor         = mockclient.NoteLimiterFloor
	noteGOSTTimeout          = mockclient.NoteGOSTTimeout
)

// Bounds on what a cause keeps from the plugin: a cause is one line a
// person reads, and everything in it may come from a hostile reply.
const (
	maxCauseField = 300
	maxCauseItems = 5
	maxCauseCases = 64
	maxKeyLen     = 40
)

// ExplainOptions tune Explain.
type ExplainOptions struct {
	// ShowToken keeps the token in cause texts; otherwise it is redacted
	// wherever it appears, also when the plugin echoes it.
	ShowToken bool
	// Reachable says the plugin's address was probed and answers in the
	// transport's protocol, so gRPC codes on calls that mockclient counted
	// as transport failures (Unavailable) came from the plugin itself.
	Reachable bool
}

// Explain derives the causes of a run from its cases: one per reason, the
// failures first, then warnings, then information (status pass), each
// naming the cases it explains. suites.Run fills
// run.Causes with it; the command line calls it again once the TLS audit
// knows whether the plugin was reachable.
func Explain(run *report.Run, cfg mockclient.Config, opts ExplainOptions) []report.Cause {
	e := &explainer{run: run, cfg: cfg, opts: opts, module: mockclient.Module(run.Module)}
	for _, c := range run.Cases {
		for _, st := range c.Steps {
			o := &st.Observation
			if o.Sent && o.Failure != string(mockclient.FailureRequest) {
				e.sent = append(e.sent, sentStep{id: c.ID, st: st})
			}
		}
	}
	var out []report.Cause
	for _, find := range []func() *report.Cause{
		e.unimplemented, e.httpPath, e.unauthenticated, e.gostTimeout, e.status, e.notDelivered,
		e.tokenCrossHost, e.redirected, e.deniesAll, e.replyKeysIgnored, e.limiterFloor,
	} {
		if c := find(); c != nil {
			out = append(out, e.tidy(*c))
		}
	}
	SortCauses(out)
	return out
}

// SortCauses orders causes as reports show them: failures first, then
// warnings, then information, keeping the order within each.
func SortCauses(cs []report.Cause) {
	slices.SortStableFunc(cs, func(a, b report.Cause) int {
		return statusRank(b.Status) - statusRank(a.Status)
	})
}

func statusRank(s report.Status) int {
	switch s {
	case report.Fail:
		return 2
	case report.Warn:
		return 1
	}
	return 0
}

type sentStep struct {
	id string
	st *report.Step
}

type explainer struct {
	run    *report.Run
	cfg    mockclient.Config
	opts   ExplainOptions
	module mockclient.Module
	sent   []sentStep
}

// all reports whether at least one call was sent and every one matches.
func (e *explainer) all(match func(o *report.Observation) bool) bool {
	if len(e.sent) == 0 {
		return false
	}
	for _, s := range e.sent {
		if !match(&s.st.Observation) {
			return false
		}
	}
	return true
}

// ids returns the distinct case IDs of steps.
func ids(steps []sentStep) []string {
	var out []string
	for _, s := range steps {
		if !slices.Contains(out, s.id) && len(out) < maxCauseCases {
			out = append(out, s.id)
		}
	}
	return out
}

// withNote returns the sent steps that carry a note with code.
func (e *explainer) withNote(code string) []sentStep {
	var out []sentStep
	for _, s := range e.sent {
		if slices.ContainsFunc(s.st.Notes, func(n report.Note) bool { return n.Code == code }) {
			out = append(out, s)
		}
	}
	return out
}

// noteTexts returns the distinct texts of notes with code on steps.
func noteTexts(steps []sentStep, code string) []string {
	var out []string
	for _, s := range steps {
		for _, n := range s.st.Notes {
			if n.Code == code && !slices.Contains(out, n.Text) {
				out = append(out, n.Text)
			}
		}
	}
	return out
}

// calls lists the distinct "METHOD target" lines of steps, bounded.
func calls(steps []sentStep) string {
	var out []string
	for _, s := range steps {
		o := &s.st.Observation
		line := strings.TrimSpace(o.Method + " " + o.Target)
		if !slices.Contains(out, line) {
			out = append(out, line)
		}
	}
	return list(out)
}

// list joins at most maxCauseItems items and says how many were left out.
func list(items []string) string {
	if len(items) <= maxCauseItems {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxCauseItems], ", "), len(items)-maxCauseItems)
}

// failEffect is what GOST v3 (x v0.15.2 <module>/plugin) does when a call
// to the module fails: its failure rule, which also covers a non-200 reply.
var failEffect = map[mockclient.Module]string{
	mockclient.Admission: "GOST refuses the client's connection",
	mockclient.Auth:      "GOST denies the client",
	mockclient.Bypass:    "GOST treats the address as matched (fail-open): requests are refused, or hops and nodes are skipped so traffic goes direct",
	mockclient.Hop:       "GOST selects no node: a single-hop chain dials the target directly",
	mockclient.Hosts:     "GOST finds no mapping and falls through to the resolver",
	mockclient.Ingress:   "GOST finds no rule: the tunnel has no route to the host",
	mockclient.Limiter:   "GOST applies no limit",
	mockclient.Observer:  "GOST counts the report as failed: it resends a failed stats batch on every tick, and status events are lost",
	mockclient.Recorder:  "GOST logs the error and the record is lost",
	mockclient.Resolver:  "GOST's lookup fails with \"resolve failed\"",
	mockclient.Router:    "GOST has no route: the router handler drops the packet",
}

// gostOnFailure says what GOST does when every call fails this way.
func (e *explainer) gostOnFailure() string {
	if eff, ok := failEffect[e.module]; ok {
		return "GOST treats every such call as failed: " + eff
	}
	return "GOST treats every such call as failed and uses its failure verdict"
}

// grpcDesc is the status message of a gRPC error text, without grpc-go's
// "rpc error: code = X desc = " prefix.
func grpcDesc(err string) string {
	if _, desc, ok := strings.Cut(err, " desc = "); ok {
		return desc
	}
	return err
}

func (e *explainer) unimplemented() *report.Cause {
	var method, service []sentStep
	for _, s := range e.sent {
		o := &s.st.Observation
		if o.Code != "Unimplemented" {
			continue
		}
		desc := grpcDesc(o.Error)
		hasNote := func(code string) bool {
			return slices.ContainsFunc(s.st.Notes, func(n report.Note) bool { return n.Code == code })
		}
		// grpc-go's server says "unknown service S" when S is not
		// registered and "unknown method M for service S" when S is.
		switch {
		case hasNote(noteUnimplementedMethod) || strings.HasPrefix(desc, "unknown method "):
			method = append(method, s)
		case hasNote(noteUnimplementedService) || strings.HasPrefix(desc, "unknown service "):
			service = append(service, s)
		}
	}
	if len(method) > 0 {
		var missing []string
		for _, s := range method {
			if m := s.st.Observation.Method; !slices.Contains(missing, m) {
				missing = append(missing, m)
			}
		}
		return &report.Cause{
			Code:   CauseUnimplementedMethod,
			Status: report.Fail,
			Text: fmt.Sprintf("the plugin serves the %s service but not %s: it was built from an older go-gost/plugin",
				e.module, list(missing)),
			Sent:  calls(method),
			Got:   "gRPC Unimplemented: " + grpcDesc(method[0].st.Observation.Error),
			GOST:  "GOST v3 calls " + list(missing) + " and gets Unimplemented; " + e.gostOnFailure(),
			Fix:   "regenerate the server stubs from github.com/go-gost/plugin v0.5.0 and implement " + list(missing),
			Cases: ids(method),
		}
	}
	if len(service) > 0 && len(service) == len(e.sent) {
		return &report.Cause{
			Code:   CauseUnimplementedService,
			Status: report.Fail,
			Text:   fmt.Sprintf("the server at %s has no %s service: is --addr the %s plugin?", e.cfg.Addr, e.module, e.module),
			Sent:   calls(service),
			Got:    "gRPC Unimplemented: " + grpcDesc(service[0].st.Observation.Error),
			GOST:   e.gostOnFailure(),
			Fix:    fmt.Sprintf("point --addr at the %s plugin, registered under the proto package of go-gost/plugin v0.5.0", e.module),
			Cases:  ids(service),
		}
	}
	return nil
}

func (e *explainer) httpPath() *report.Cause {
	if e.cfg.Transport != mockclient.HTTP {
		return nil
	}
	if !e.all(func(o *report.Observation) bool { return o.HTTPStatus == 404 || o.HTTPStatus == 405 }) {
		return nil
	}
	cfg := e.cfg
	cfg.Module = e.module
	t, err := mockclient.ParseTarget(cfg)
	if err != nil || t.URL == nil {
		return nil
	}
	u := new(url.URL)
	*u = *t.URL
	u.RawQuery = ""
	statuses := map[int]bool{}
	var methods []string
	for _, s := range e.sent {
		statuses[s.st.Observation.HTTPStatus] = true
		if m := s.st.Observation.Method; !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	c := &report.Cause{
		Code:   CauseHTTPPath,
		Status: report.Fail,
		Sent:   calls(e.sent),
		GOST: fmt.Sprintf("GOST sends every %s call to --addr verbatim (x v0.15.2 %s/plugin/http.go) and accepts only HTTP 200; ",
			e.module, pluginDir(e.module)) + e.gostOnFailure(),
		Cases: ids(e.sent),
	}
	path := u.EscapedPath()
	switch {
	case statuses[404] && e.module == mockclient.Hop && !statuses[405]:
		// A hop plugin may answer 404 for "no node"; only all of them
		// suggests a wrong path, and GOST then always goes direct.
		c.Status = report.Warn
		c.Text = fmt.Sprintf("every call got HTTP 404 from %s: GOST reads that as \"no node\" every time; check the path in --addr", u)
		c.Got = "HTTP 404 to every call"
		c.GOST = "GOST selects no node for any request: a single-hop chain dials every target directly"
		c.Fix = "if the plugin means to choose nodes, use the path it serves in --addr"
	case statuses[404]:
		c.Text = fmt.Sprintf("every call got HTTP 404 from %s: check the path in --addr", u)
		c.Got = "HTTP 404 Not Found to every call"
		switch {
		case path == "" || path == "/":
			c.Fix = fmt.Sprintf("--addr has no path, so GOST calls %s; add the path the plugin serves, for example %s://%s/%s",
				u, u.Scheme, u.Host, e.module)
		case strings.HasSuffix(path, "/"):
			c.Fix = fmt.Sprintf("--addr ends in \"/\" and GOST does not trim it: if the plugin serves %s, drop the trailing slash",
				strings.TrimRight(path, "/"))
		default:
			c.Fix = fmt.Sprintf("the plugin has no handler at %s: give --addr the path it serves (GOST adds nothing to it)", path)
		}
	default:
		c.Text = fmt.Sprintf("every call got HTTP 405 from %s: the plugin serves the path but not %s", u, strings.Join(methods, ", "))
		c.Got = "HTTP 405 Method Not Allowed to every call"
		c.Fix = fmt.Sprintf("accept %s at %s, the method GOST uses for the %s module", strings.Join(methods, ", "), path, e.module)
	}
	return c
}

// pluginDir is the module's folder in go-gost/x.
func pluginDir(m mockclient.Module) string {
	if m == mockclient.Limiter {
		return "limiter/traffic"
	}
	return string(m)
}

func (e *explainer) unauthenticated() *report.Cause {
	if !e.all(func(o *report.Observation) bool { return o.Code == "Unauthenticated" || o.HTTPStatus == 401 }) {
		return nil
	}
	c := &report.Cause{
		Code:   CauseUnauthenticated,
		Status: report.Fail,
		Text:   UnauthenticatedText(e.cfg.Token != ""),
		Sent:   calls(e.sent),
		GOST:   e.gostOnFailure(),
		Cases:  ids(e.sent),
	}
	o := &e.sent[0].st.Observation
	if o.Code != "" {
		c.Got = "gRPC Unauthenticated: " + grpcDesc(o.Error)
	} else {
		c.Got = "HTTP 401: " + o.Reply
	}
	if e.cfg.Token == "" {
		c.Fix = "give the plugin's token with --token (GOST's plugin token: gRPC metadata \"token\", HTTP \"Authorization: Bearer\")"
	} else {
		c.Fix = "give the token the plugin expects with --token"
	}
	return c
}

// UnauthenticatedText is the one line for a plugin that refused every call
// as unauthenticated; the diagnosis uses the same words.
func UnauthenticatedText(tokenGiven bool) string {
	if tokenGiven {
		return "the plugin answered Unauthenticated to every call: it rejects the --token given"
	}
	return "the plugin answered Unauthenticated to every call: does it need --token?"
}

func (e *explainer) status() *report.Cause {
	answered := func(o *report.Observation) bool {
		switch {
		case o.Code == "Unauthenticated" || o.Code == "Unimplemented" || o.HTTPStatus == 401 || o.HTTPStatus == 404 || o.HTTPStatus == 405:
			return false
		case o.Failure == string(mockclient.FailureStatus):
			return true
		}
		// Without the probe a transport failure may be no server at all;
		// with it, the code came from the plugin.
		return e.opts.Reachable && o.Failure == string(mockclient.FailureTransport) && o.Code != "" && o.Code != "OK"
	}
	if !e.all(answered) {
		return nil
	}
	if e.module == mockclient.Hop && e.cfg.Transport == mockclient.HTTP &&
		e.all(func(o *report.Observation) bool { return o.HTTPStatus == 204 }) {
		return nil // "no node" over HTTP: an answer, which sanity warns about
	}
	count := map[string]int{}
	var order []string
	for _, s := range e.sent {
		k := outcomeName(&s.st.Observation)
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	var got []string
	for _, k := range order {
		got = append(got, fmt.Sprintf("%s ×%d", k, count[k]))
	}
	o := &e.sent[0].st.Observation
	msg := o.Reply
	if o.Code != "" {
		msg = grpcDesc(o.Error)
	}
	text := fmt.Sprintf("the plugin answers, but every call got %s", list(order))
	if msg != "" {
		text += fmt.Sprintf(": %q", bound(msg, 120))
	}
	return &report.Cause{
		Code:   CauseStatus,
		Status: report.Fail,
		Text:   text,
		Sent:   calls(e.sent),
		Got:    list(got) + "; first message: " + bound(msg, maxCauseField),
		GOST:   e.gostOnFailure(),
		Fix:    "the plugin is up and reached; find why it answers " + order[0] + " in its own log",
		Cases:  ids(e.sent),
	}
}

// outcomeName is "gRPC Internal" or "HTTP 500".
func outcomeName(o *report.Observation) string {
	if o.Code != "" {
		return "gRPC " + o.Code
	}
	return fmt.Sprintf("HTTP %d", o.HTTPStatus)
}

func (e *explainer) notDelivered() *report.Cause {
	if e.module != mockclient.Observer && e.module != mockclient.Recorder {
		return nil
	}
	var steps []sentStep
	for _, s := range e.withNote(mockclient.NoteNotDelivered) {
		// A failed call has its own cause; this one is the plugin that
		// answered, but not with ok:true.
		if s.st.Observation.Failure == "" {
			steps = append(steps, s)
		}
	}
	if len(steps) == 0 {
		return nil
	}
	o := &steps[0].st.Observation
	got := okVerdict(o.Reply)
	if o.HTTPStatus != 0 {
		got = fmt.Sprintf("HTTP %d %s: %s", o.HTTPStatus, bound(o.Reply, 120), got)
	} else {
		got = fmt.Sprintf("gRPC OK %s: %s", bound(o.Reply, 120), got)
	}
	c := &report.Cause{
		Code:   CauseNotDelivered,
		Status: report.Fail,
		Text:   fmt.Sprintf("%d of %d %s replies are not ok:true, so GOST counts them as not delivered: %s", len(steps), len(e.sent), e.module, okVerdict(o.Reply)),
		Sent:   calls(steps),
		Got:    got,
		Cases:  ids(steps),
	}
	if e.module == mockclient.Observer {
		c.GOST = "GOST (x v0.15.2 handler observeStats) resends the same failed stats batch on every tick and sends no newer stats until one is accepted, so the plugin's accounting freezes; status events are never retried"
	} else {
		c.GOST = "GOST logs the error and drops the record: nothing is retried"
	}
	if e.cfg.Transport == mockclient.HTTP {
		c.Fix = `answer HTTP 200 with {"ok":true} once the data is stored`
	} else {
		c.Fix = "set ok: true in the reply once the data is stored"
	}
	return c
}

// okVerdict describes an observer or recorder reply that is not ok:true:
// no ok key (and the keys it has), or the ok it has.
func okVerdict(reply string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(reply), &m); err != nil {
		return "the reply is not a JSON object"
	}
	if v, ok := m["ok"]; ok {
		return "its ok is " + bound(string(v), 40)
	}
	if len(m) == 0 {
		return `the reply has no "ok" key (it is empty)`
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, bound(k, maxKeyLen))
	}
	slices.Sort(keys)
	return fmt.Sprintf(`the reply has no "ok" key (it has %s)`, list(keys))
}

func (e *explainer) tokenCrossHost() *report.Cause {
	c := e.noteCause(noteTokenCrossHost, CauseTokenCrossHost, "a redirect sends the token to another host or port: ",
		"GOST follows the redirect and its token transport adds Authorization: Bearer to every hop, so the new host gets the token",
		"put the final URL in --addr, and do not redirect a plugin's calls to another host")
	if c != nil {
		// What came back is the redirect chain, which the redirected
		// notes of the same steps spell out.
		c.Got = list(noteTexts(e.withNote(noteTokenCrossHost), noteRedirected))
	}
	return c
}

func (e *explainer) redirected() *report.Cause {
	steps := e.withNote(noteRedirected)
	if len(steps) == 0 || len(e.withNote(noteTokenCrossHost)) > 0 {
		return nil
	}
	texts := noteTexts(steps, noteRedirected)
	return &report.Cause{
		Code: CauseRedirected,
		// GOST follows and the call works: information, unless the token
		// leaves for another host (CauseTokenCrossHost).
		Status: report.Pass,
		Text:   "GOST follows a redirect on these calls: " + texts[0],
		Sent:   calls(steps),
		Got:    list(texts),
		GOST:   "GOST's HTTP client follows redirects on every call, an extra round trip each time; a 301, 302 or 303 turns POST into a bodyless GET",
		Fix:    "put the final URL in --addr",
		Cases:  ids(steps),
	}
}

func (e *explainer) deniesAll() *report.Cause {
	if e.module != mockclient.Admission {
		return nil
	}
	var shaped []sentStep
	for _, s := range e.sent {
		if s.st.Op != "admit" || s.st.Observation.Failure != "" || !hostPort(requestAddr(s.st.Request)) {
			continue
		}
		shaped = append(shaped, s)
	}
	if len(shaped) < 2 {
		return nil
	}
	for _, s := range shaped {
		v, _ := s.st.Actual.(map[string]any)
		if admit, _ := v["admit"].(bool); admit {
			return nil
		}
	}
	return &report.Cause{
		Code:   CauseDeniesAll,
		Status: report.Warn,
		Text:   fmt.Sprintf("the plugin denied all %d requests in the form GOST sends (an ip:port client address)", len(shaped)),
		Sent:   calls(shaped),
		Got:    `admit: false to every one, for example ` + bound(string(shaped[0].st.Request), 120),
		GOST:   "GOST asks on every accepted connection with the client's ip:port (x admission/wrapper/listener.go, service.go), so it will refuse every client connection",
		Fix:    "if that is not the policy, split the port off (net.SplitHostPort) before matching the client IP",
		Cases:  ids(shaped),
	}
}

// requestAddr is the addr field of a fixture request.
func requestAddr(req json.RawMessage) string {
	var r struct {
		Addr string `json:"addr"`
	}
	_ = json.Unmarshal(req, &r)
	return r.Addr
}

// hostPort reports an "ip:port" address, GOST's shape for a client.
func hostPort(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && net.ParseIP(host) != nil
}

// noteCause is a warning cause for every step that carries the note code:
// its headline is lead followed by the first note's text.
func (e *explainer) noteCause(code, cause, lead, gost, fix string) *report.Cause {
	steps := e.withNote(code)
	if len(steps) == 0 {
		return nil
	}
	texts := noteTexts(steps, code)
	return &report.Cause{
		Code:   cause,
		Status: report.Warn,
		Text:   lead + texts[0],
		Sent:   calls(steps),
		Got:    list(texts),
		GOST:   gost,
		Fix:    fix,
		Cases:  ids(steps),
	}
}

func (e *explainer) replyKeysIgnored() *report.Cause {
	return e.noteCause(noteReplyKeysIgnored, CauseReplyKeysIgnored, "replies carry keys GOST ignores: ",
		"GOST decodes only the keys of its own reply type and drops the rest silently; whatever they were meant to say has no effect",
		"drop those keys, or put what they mean in the keys GOST reads")
}

func (e *explainer) limiterFloor() *report.Cause {
	return e.noteCause(noteLimiterFloor, CauseLimiterFloor, "a limit below what any real connection survives: ",
		"GOST throttles every connection this limiter covers to that rate, so clients time out",
		"answer the limit in bytes per second; 0 or less means unlimited")
}

func (e *explainer) tidy(c report.Cause) report.Cause {
	return Tidy(c, e.cfg.Token, e.opts.ShowToken)
}

// Tidy redacts token from every part of c, unless showToken, and bounds
// each part: causes quote the plugin, which may echo the token or send a
// megabyte of status message.
func Tidy(c report.Cause, token string, showToken bool) report.Cause {
	fix := func(s string) string {
		return bound(redact(s, token, showToken), maxCauseField)
	}
	c.Text, c.Sent, c.Got, c.GOST, c.Fix = fix(c.Text), fix(c.Sent), fix(c.Got), fix(c.GOST), fix(c.Fix)
	return c
}

// redact replaces token, its Bearer form and its URL-escaped forms
// wherever they appear, unless showToken.
func redact(s, token string, showToken bool) string {
	if showToken {
		return s
	}
	return clip.Redact(s, token)
}

// bound cuts s to at most n bytes on a rune boundary, saying how much was
// cut; it never copies more of s than it keeps.
func bound(s string, n int) string {
	return clip.Text(s, n)
}

// gostTimeout explains calls that GOST's own HTTP timeout ended: the plugin
// is reached but answers too slowly for the `timeout` of its GOST config.
func (e *explainer) gostTimeout() *report.Cause {
	steps := e.withNote(noteGOSTTimeout)
	if len(steps) == 0 {
		return nil
	}
	return &report.Cause{
		Code:   CauseGOSTTimeout,
		Status: report.Fail,
		Text:   fmt.Sprintf("%d of %d calls got no complete reply within GOST's timeout (%s)", len(steps), len(e.sent), e.cfg.Timeout),
		Sent:   calls(steps),
		Got:    bound(steps[0].st.Observation.Error, maxCauseField),
		GOST:   "GOST's http.Client gives up at its timeout, so " + e.gostOnFailure(),
		Fix:    "make the plugin answer well within the timeout, or raise `timeout` in the GOST config (--timeout here)",
		Cases:  ids(steps),
	}
}
