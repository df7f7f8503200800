package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// VerdictCounts counts calls by verdict label, the verdict's JSON. It
// stays a map in memory, so that counting a call costs one map update; it
// marshals as an array of {"verdict": <the decoded verdict>, "count": N},
// count descending then verdict JSON, so that readers need not decode
// JSON held in object keys. A label that is not JSON (OtherLabel, or a
// verdict cut short by the label bound) is {"label": "...", "count": N}.
type VerdictCounts map[string]int64

// VerdictCount is one entry of a marshalled VerdictCounts.
type VerdictCount struct {
	Verdict json.RawMessage `json:"verdict,omitempty"`
	Label   string          `json:"label,omitempty"`
	Count   int64           `json:"count"`
}

// Entries returns the counts in their marshalled order.
func (v VerdictCounts) Entries() []VerdictCount {
	out := make([]VerdictCount, 0, len(v))
	for _, kv := range sortedCounts(v) {
		e := VerdictCount{Count: kv.v}
		var buf bytes.Buffer
		if kv.k != OtherLabel && json.Valid([]byte(kv.k)) && json.Compact(&buf, []byte(kv.k)) == nil {
			e.Verdict = buf.Bytes()
		} else {
			e.Label = kv.k
		}
		out = append(out, e)
	}
	return out
}

// MarshalJSON writes v as an array (see VerdictCounts).
func (v VerdictCounts) MarshalJSON() ([]byte, error) {
	return marshalRaw(v.Entries())
}

// marshalRaw marshals v without escaping HTML characters, as WriteJSON
// writes the rest of the result: "<redacted>" stays greppable.
func marshalRaw(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads the array MarshalJSON writes; equal verdicts add.
func (v *VerdictCounts) UnmarshalJSON(b []byte) error {
	var es []VerdictCount
	if err := json.Unmarshal(b, &es); err != nil {
		return fmt.Errorf("verdict counts: %w", err)
	}
	m := make(VerdictCounts, len(es))
	for _, e := range es {
		key := e.Label
		if len(e.Verdict) > 0 {
			var buf bytes.Buffer
			if err := json.Compact(&buf, e.Verdict); err != nil {
				return fmt.Errorf("verdict counts: %w", err)
			}
			key = buf.String()
		}
		m = addLabel(m, key, e.Count)
	}
	*v = m
	return nil
}

// KindCounts counts failed calls by kind label ("grpc Unavailable", "http
// 503", "timeout (…)", a note code). It stays a map keyed by the label in
// memory and marshals as an array of {"code", "message", "count"}: code is
// a stable identifier from a closed set (ErrorCode), message the label, so
// that tools match on the code and people read the message.
type KindCounts map[string]int64

// KindCount is one entry of a marshalled KindCounts.
type KindCount struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// Entries returns the counts in their marshalled order: count
// descending, then message.
func (k KindCounts) Entries() []KindCount {
	out := make([]KindCount, 0, len(k))
	for _, kv := range sortedCounts(k) {
		out = append(out, KindCount{Code: ErrorCode(kv.k), Message: kv.k, Count: kv.v})
	}
	return out
}

// MarshalJSON writes k as an array (see KindCounts).
func (k KindCounts) MarshalJSON() ([]byte, error) {
	return marshalRaw(k.Entries())
}

// UnmarshalJSON reads the array MarshalJSON writes, keyed by message.
func (k *KindCounts) UnmarshalJSON(b []byte) error {
	var es []KindCount
	if err := json.Unmarshal(b, &es); err != nil {
		return fmt.Errorf("error counts: %w", err)
	}
	m := make(KindCounts, len(es))
	for _, e := range es {
		m = addLabel(m, e.Message, e.Count)
	}
	*k = m
	return nil
}

// grpcCodes are the names of the gRPC status codes, as codes.Code's
// String gives them; internal/load imports no gRPC package, so it keeps
// the closed set itself.
var grpcCodes = map[string]bool{
	"OK": true, "Canceled": true, "Unknown": true, "InvalidArgument": true,
	"DeadlineExceeded": true, "NotFound": true, "AlreadyExists": true,
	"PermissionDenied": true, "ResourceExhausted": true, "FailedPrecondition": true,
	"Aborted": true, "OutOfRange": true, "Unimplemented": true, "Internal": true,
	"Unavailable": true, "DataLoss": true, "Unauthenticated": true,
}

// ErrorCodes is the closed set of codes ErrorCode returns, beside the
// gRPC status codes in snake_case ("deadline_exceeded") and the note
// codes of failed replies (lower case, "-" made "_").
var ErrorCodes = []string{
	"timeout", "http_status_1xx", "http_status_2xx", "http_status_3xx", "http_status_4xx", "http_status_5xx",
	"request_error", "transport_error", "decode_error", "status_error", "other",
}

// ErrorCode maps a kind label to its stable code: "grpc Unavailable" →
// "unavailable", "http 503" → "http_status_5xx", "timeout (…)" →
// "timeout", "transport failure" → "transport_error", a failed reply's
// note code "not-delivered" → "not_delivered", anything else → "other".
func ErrorCode(label string) string {
	switch {
	case label == OtherLabel:
		return "other"
	case label == "timeout" || strings.HasPrefix(label, "timeout "):
		return "timeout"
	case strings.HasPrefix(label, "grpc "):
		name := strings.TrimPrefix(label, "grpc ")
		if !grpcCodes[name] {
			return "other"
		}
		return snake(name)
	case strings.HasPrefix(label, "http "):
		n, err := strconv.Atoi(strings.TrimPrefix(label, "http "))
		if err != nil || n < 100 || n > 599 {
			return "other"
		}
		return fmt.Sprintf("http_status_%dxx", n/100)
	}
	class, ok := strings.CutSuffix(label, " failure")
	if !ok {
		class = label
	}
	switch class {
	case "request", "transport", "decode", "status":
		return class + "_error"
	}
	if isNoteCode(label) {
		return strings.ReplaceAll(label, "-", "_")
	}
	return "other"
}

// isNoteCode reports whether s looks like a note code: lower-case words
// joined by "-" or "_", at most 64 bytes.
func isNoteCode(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// snake turns a CamelCase name into snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
