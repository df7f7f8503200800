// Package report is plugincheck's result model and its renderers (text, JSON,
// JUnit XML). It never runs anything: suites fill a Report, renderers format it.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// SchemaVersion identifies the JSON report format; it changes only when a
// field is removed or changes meaning (docs/report-schema.md).
const SchemaVersion = "plugincheck.report/v1"

// Status is the outcome of a check, step, case or run.
type Status string

// Outcomes, from best to worst; Worse orders them.
const (
	Pass Status = "pass"
	Skip Status = "skip"
	Warn Status = "warn"
	Fail Status = "fail"
)

func (s Status) rank() int {
	switch s {
	case Pass:
		return 0
	case Skip:
		return 1
	case Warn:
		return 2
	case Fail:
		return 3
	}
	return -1
}

// Worse returns the worse of s and o.
func (s Status) Worse(o Status) Status {
	if o.rank() > s.rank() {
		return o
	}
	return s
}

// Duration is a time.Duration that appears in JSON as milliseconds.
type Duration time.Duration

// MarshalJSON renders the duration as fractional milliseconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	ms := float64(d) / float64(time.Millisecond)
	return json.Marshal(math.Round(ms*1000) / 1000)
}

// UnmarshalJSON reads fractional milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// String formats like time.Duration, rounded for people.
func (d Duration) String() string {
	t := time.Duration(d)
	switch {
	case t >= time.Second:
		return t.Round(time.Millisecond).String()
	case t >= time.Millisecond:
		return t.Round(10 * time.Microsecond).String()
	default:
		return t.Round(time.Microsecond).String()
	}
}

// Report is everything one plugincheck invocation found.
type Report struct {
	Schema    string    `json:"schema"`
	Tool      Tool      `json:"tool"`
	StartedAt time.Time `json:"startedAt"`
	Duration  Duration  `json:"durationMs"`
	Runs      []*Run    `json:"runs"`
	Totals    Totals    `json:"totals"`
	// Source is the deployment checked by `plugincheck config`: the config
	// file, "-" for stdin, or the web API's URL without credentials.
	Source string `json:"source,omitempty"`
	// Findings are the config's problems, in GOST's terms.
	Findings []Finding `json:"findings,omitempty"`
}

// Tool names the harness and the GOST version its verdicts follow.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// GOST is the go-gost/x version whose plugin clients the verdicts follow.
	GOST string `json:"gost"`
	// Plugin is the go-gost/plugin protocol version spoken.
	Plugin string `json:"plugin"`
}

// Run is one module checked over one transport against one address.
type Run struct {
	// Plugin names the config's plugin block the run checked
	// ("authers/auth-0"); empty for a module command's run.
	Plugin string `json:"plugin,omitempty"`
	// Services are the config's services (or chains and hops) that use
	// the plugin, whose names the run's requests also carried.
	Services  []string `json:"services,omitempty"`
	Module    string   `json:"module"`
	Transport string   `json:"transport"`
	Target    Target   `json:"target"`
	TLS       TLS      `json:"tls"`
	Latency   Latency  `json:"latency"`
	Cases     []*Case  `json:"cases"`
	Totals    Totals   `json:"totals"`
	Status    Status   `json:"status"`
	// Notes are run-level remarks, such as where plugincheck deliberately
	// differs from GOST.
	Notes []string `json:"notes,omitempty"`
	// Diagnosis explains, in one line, why the plugin could not be reached
	// or spoken to; empty when it could.
	Diagnosis string `json:"diagnosis,omitempty"`
	// Causes explain the run's failures and warnings in GOST's terms, one
	// line per reason rather than one per failed case; the headline comes
	// first. A warning cause makes the run warn even when every case
	// passed, because it names something GOST will do to real traffic.
	Causes []Cause `json:"causes,omitempty"`
}

// Cause is one reason a run failed or warned, written so that a plugin
// author can act on it: what was sent, what came back, what GOST will do,
// and what to change.
type Cause struct {
	// Code is stable, for scripts: "http-path", "not-delivered", ….
	Code string `json:"code"`
	// Status is fail or warn; pass marks information that does not
	// change the run's status (a redirect GOST follows).
	Status Status `json:"status"`
	// Text is the one-line headline.
	Text string `json:"text"`
	Sent string `json:"sent,omitempty"`
	Got  string `json:"got,omitempty"`
	// GOST says what GOST v3 does with such a reply.
	GOST string `json:"gost,omitempty"`
	Fix  string `json:"fix,omitempty"`
	// Cases are the IDs of the cases this cause explains.
	Cases []string `json:"cases,omitempty"`
}

// Target is the plugin configuration the run used, GOST's plugin block.
type Target struct {
	Addr string `json:"addr"`
	// Token is "" when none was given, "<redacted>" unless revealed.
	Token string `json:"token,omitempty"`
	// TLS is nil when the config has no tls block.
	TLS         *TargetTLS `json:"tls,omitempty"`
	Timeout     Duration   `json:"timeoutMs,omitempty"`
	CallTimeout Duration   `json:"callTimeoutMs"`
}

// TargetTLS is the GOST tls block as configured.
type TargetTLS struct {
	Secure     bool   `json:"secure"`
	ServerName string `json:"serverName,omitempty"`
}

// TLS is the TLS audit of the plugin's address: whether it answers, whether
// it speaks TLS, what was negotiated, the chain, and, for every way GOST can
// be configured, whether GOST would connect.
type TLS struct {
	// Enabled reports that a TLS handshake completed, GOST's own or
	// plugincheck's unverified one.
	Enabled     bool          `json:"enabled"`
	Version     string        `json:"version,omitempty"`
	CipherSuite string        `json:"cipherSuite,omitempty"`
	ALPN        string        `json:"alpn,omitempty"`
	ServerName  string        `json:"serverName,omitempty"`
	Peer        []Certificate `json:"peerCertificates,omitempty"`
	// Note explains the TLS outcome in GOST's terms.
	Note string `json:"note,omitempty"`
	// Endpoint is where the audit connected; nil when no audit ran.
	Endpoint *Endpoint `json:"endpoint,omitempty"`
	// ClientAuth is "required" or "requested" when the server asks for a
	// client certificate, which GOST never presents; empty when it does not.
	ClientAuth string `json:"clientAuth,omitempty"`
	// NameCheck says whether the leaf certificate is valid for the name GOST
	// checks it against.
	NameCheck *NameCheck `json:"nameCheck,omitempty"`
	// Verification is the chain checked against the system roots and, when
	// given, against --tls-ca-cert.
	Verification []Verification `json:"verification,omitempty"`
	// Matrix says, for each way GOST can be configured, whether it would
	// connect.
	Matrix []Verdict `json:"gostMatrix,omitempty"`
	// Findings are the problems found, one line each, with a stable code.
	Findings []Note `json:"findings,omitempty"`
}

// Endpoint is the address the TLS audit connected to.
type Endpoint struct {
	Address   string `json:"address"`
	Reachable bool   `json:"reachable"`
	// Security is "tls" or "plaintext": what the server speaks; empty when
	// it could not be told.
	Security string `json:"security,omitempty"`
	// Error says why the address could not be reached.
	Error string `json:"error,omitempty"`
}

// NameCheck is the leaf certificate checked against one name.
type NameCheck struct {
	Name string `json:"name"`
	// Source is where the name came from: "--tls-server-name" or "addr".
	Source string `json:"source"`
	Match  bool   `json:"match"`
	Error  string `json:"error,omitempty"`
}

// Verification is the chain checked against one set of roots, without the
// name, which NameCheck covers.
type Verification struct {
	// Roots is "system" or the --tls-ca-cert file.
	Roots string `json:"roots"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Verdict is one row of the GOST verdict matrix: one plugin configuration
// and whether GOST would connect with it.
type Verdict struct {
	// ID is a stable slug for the configuration, such as "tls-secure".
	ID string `json:"id"`
	// Config is the configuration as a GOST plugin block reads.
	Config string `json:"config"`
	// Addr is the plugin addr of this configuration.
	Addr string `json:"addr"`
	// TLS is the tls block; nil when there is none.
	TLS      *TargetTLS `json:"tls,omitempty"`
	Connects bool       `json:"connects"`
	// Reason says, in GOST's terms, why GOST would not connect or, when it
	// connects, the caveat (a slow connect that fails GOST's first calls).
	Reason string `json:"reason,omitempty"`
	// Configured marks the row of the settings the run was given.
	Configured bool `json:"configured,omitempty"`
	// Reproducer is a copy-paste line that connects the same way: openssl
	// s_client with GOST's SNI, ALPN and verification, or curl for plaintext.
	Reproducer string `json:"reproducer,omitempty"`
}

// Certificate summarises one certificate of the plugin's chain.
type Certificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	DNSNames  []string  `json:"dnsNames,omitempty"`
	IPs       []string  `json:"ips,omitempty"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// DaysLeft is the whole days until NotAfter; negative once expired.
	DaysLeft int `json:"daysLeft"`
	// KeyType is the public key algorithm, with the curve for ECDSA.
	KeyType            string `json:"keyType,omitempty"`
	KeyBits            int    `json:"keyBits,omitempty"`
	SignatureAlgorithm string `json:"signatureAlgorithm,omitempty"`
	SelfSigned         bool   `json:"selfSigned,omitempty"`
	IsCA               bool   `json:"isCA,omitempty"`
}

// Connects reports whether GOST would connect with the configured settings:
// false when the audit's configured row says it would not, true otherwise
// (including when no audit ran).
func (t *TLS) Connects() (bool, string) {
	for _, v := range t.Matrix {
		if v.Configured {
			return v.Connects, v.Reason
		}
	}
	return true, ""
}

// Latency summarises every call's latency in a run.
type Latency struct {
	Count  int      `json:"count"`
	P50    Duration `json:"p50Ms"`
	P90    Duration `json:"p90Ms"`
	P99    Duration `json:"p99Ms"`
	Max    Duration `json:"maxMs"`
	Mean   Duration `json:"meanMs"`
	Budget Duration `json:"budgetMs"`
	// OverBudget counts the calls slower than Budget. The latency check
	// judges medians, so some may be over without the check failing.
	OverBudget int `json:"overBudget,omitempty"`
	// SYNRetries counts HTTP calls that spent about a second in the TCP
	// handshake because the plugin's full listen backlog dropped a SYN or
	// the handshake's last ACK.
	SYNRetries int `json:"synRetries,omitempty"`
	// Enforced is true when an overrun fails rather than warns: the budget
	// was given explicitly with --latency-budget.
	Enforced bool `json:"enforced,omitempty"`
}

// Summarize computes nearest-rank percentiles over samples.
func Summarize(samples []time.Duration, budget time.Duration) Latency {
	l := Latency{Count: len(samples), Budget: Duration(budget)}
	if len(samples) == 0 {
		return l
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := func(p float64) Duration {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return Duration(s[max(i, 0)])
	}
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	l.P50, l.P90, l.P99 = rank(50), rank(90), rank(99)
	l.Max = Duration(s[len(s)-1])
	for _, v := range s {
		if budget > 0 && v > budget {
			l.OverBudget++
		}
	}
	l.Mean = Duration(sum / time.Duration(len(s)))
	return l
}

// Totals counts cases by outcome.
type Totals struct {
	Cases int `json:"cases"`
	Pass  int `json:"pass"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
}

// Add counts one case outcome.
func (t *Totals) Add(s Status) {
	t.Cases++
	switch s {
	case Pass:
		t.Pass++
	case Warn:
		t.Warn++
	case Fail:
		t.Fail++
	case Skip:
		t.Skip++
	}
}

// Merge adds o's counts to t.
func (t *Totals) Merge(o Totals) {
	t.Cases += o.Cases
	t.Pass += o.Pass
	t.Warn += o.Warn
	t.Fail += o.Fail
	t.Skip += o.Skip
}

// Case is one fixture case on one transport.
type Case struct {
	// ID is "<suite>/<transport>/<case>", the name --run and --skip match.
	ID     string  `json:"id"`
	Suite  string  `json:"suite"`
	Name   string  `json:"name"`
	Doc    string  `json:"doc,omitempty"`
	File   string  `json:"file,omitempty"`
	Line   int     `json:"line,omitempty"`
	Status Status  `json:"status"`
	Steps  []*Step `json:"steps"`
	// SkipReason says why a skipped case did not run.
	SkipReason string `json:"skipReason,omitempty"`
}

// Step is one call of a case, with its checks.
type Step struct {
	Op          string          `json:"op"`
	Request     json.RawMessage `json:"request"`
	Expected    map[string]any  `json:"expected,omitempty"`
	Actual      any             `json:"actual"`
	Status      Status          `json:"status"`
	Checks      []Check         `json:"checks"`
	Notes       []Note          `json:"notes,omitempty"`
	Observation Observation     `json:"observation"`
	// Reproducer is a copy-paste grpcurl or curl line for this call.
	Reproducer string `json:"reproducer"`
}

// Check is one named assertion about a step.
type Check struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message,omitempty"`
}

// Note is a GOST-level fact about a verdict.
type Note struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Observation summarises the wire exchange of a step.
type Observation struct {
	Method     string   `json:"method"`
	Target     string   `json:"target"`
	Sent       bool     `json:"sent"`
	Code       string   `json:"code,omitempty"`
	HTTPStatus int      `json:"httpStatus,omitempty"`
	Failure    string   `json:"failure,omitempty"`
	Error      string   `json:"error,omitempty"`
	Reply      string   `json:"reply,omitempty"`
	Latency    Duration `json:"latencyMs"`
	// Request is the request as it went over the wire: GOST's HTTP body
	// with its omitempty rules, or the gRPC message in protojson. The
	// step's Request is the fixture's view of the same call.
	Request json.RawMessage `json:"request,omitempty"`
	// Timing splits Latency into phases; nil when it was not measured.
	Timing *Timing `json:"timing,omitempty"`
	// Redirects are the HTTP redirects GOST followed, in order; GOST
	// follows them silently, so the report shows each hop.
	Redirects []Redirect `json:"redirects,omitempty"`
	// FinalURL is the URL whose reply GOST used, when it differs from
	// Target because of redirects.
	FinalURL string `json:"finalUrl,omitempty"`
}

// Redirect is one redirect GOST followed.
type Redirect struct {
	// Method is the method of the redirected request.
	Method string `json:"method"`
	// URL is the URL that answered with the redirect.
	URL string `json:"url"`
	// Status is the redirect status (301, 302, 303, 307 or 308).
	Status int `json:"status"`
}

// Timing is where one call's time went, phase by phase; the rest of the
// latency is waiting for a pooled connection and reading the reply.
type Timing struct {
	// Reused: the call went over an open connection (no connect, no TLS).
	Reused bool `json:"reused,omitempty"`
	// Connect is the TCP connect (HTTP), or the wait for a ready
	// connection less its TLS handshake (gRPC: resolution, TCP connect,
	// HTTP/2 preface).
	Connect Duration `json:"connectMs"`
	// TLS is the TLS handshake of a new connection.
	TLS Duration `json:"tlsMs"`
	// Wrote is the time to write the request once connected.
	Wrote Duration `json:"wroteMs"`
	// FirstByte is from the request written to the reply's first byte.
	FirstByte Duration `json:"firstByteMs"`
	// Retransmits counts TCP segments resent on a new HTTP connection
	// (Linux only); on loopback, a plugin whose accept queue was full.
	Retransmits int `json:"retransmits,omitempty"`
}

// ListenBacklogCause is why an HTTP call spends about a second in the TCP
// handshake: with the plugin's accept queue full, its kernel drops the SYN
// or the handshake's last ACK, and the retransmission comes after 1 s.
const ListenBacklogCause = "the plugin's listen backlog overflowed (Python's http.server keeps 5)"

// SYNRetryCause explains a TCP connect of about a second.
const SYNRetryCause = "SYN retried after 1 s: " + ListenBacklogCause

// SYNACKRetryCause explains a new connection whose connect was quick but
// whose request waited about a second, with segments resent: the plugin
// dropped the last ACK, and the connection existed for it only when it
// resent its SYN-ACK.
const SYNACKRetryCause = "SYN-ACK resent after 1 s, the request waiting meanwhile: " + ListenBacklogCause

// String lists the phases that took time, as the text report shows them.
func (t *Timing) String() string {
	if t == nil {
		return ""
	}
	var p []string
	if t.Reused {
		p = append(p, "reused connection")
	}
	for _, ph := range []struct {
		name string
		d    Duration
	}{{"connect", t.Connect}, {"TLS", t.TLS}, {"wrote", t.Wrote}, {"first byte", t.FirstByte}} {
		if ph.d > 0 {
			p = append(p, ph.name+" "+ph.d.String())
		}
	}
	switch {
	case t.Retransmits == 1:
		p = append(p, "1 TCP retransmission")
	case t.Retransmits > 1:
		p = append(p, fmt.Sprintf("%d TCP retransmissions", t.Retransmits))
	}
	return strings.Join(p, ", ")
}

// Finish computes the totals and status of each run and of the report. A
// run's status is also at least as bad as its worst cause.
func (r *Report) Finish() {
	r.Totals = Totals{}
	for _, run := range r.Runs {
		run.Totals = Totals{}
		run.Status = Pass
		for _, c := range run.Cases {
			run.Totals.Add(c.Status)
			if c.Status != Skip {
				run.Status = run.Status.Worse(c.Status)
			}
		}
		for _, c := range run.Causes {
			if c.Status == Warn || c.Status == Fail {
				run.Status = run.Status.Worse(c.Status)
			}
		}
		if run.Diagnosis != "" {
			run.Status = Fail
		}
		r.Totals.Merge(run.Totals)
	}
}
