package suites

import (
	"encoding/json"
	"hash/maphash"
	"sync"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/report"
)

// maxSharedTexts bounds the distinct texts a run's steps share, per kind,
// and the texts met once that the run remembers; maxSharedText bounds the
// length of one.
const (
	maxSharedTexts = 4096
	maxSharedText  = 4 << 10
)

// texts shares equal text between the step reports of a run: a large
// suite makes the same few calls thousands of times, and each step's
// report kept its own copy of the request, the observed request and reply,
// and the reproducer line for as long as the report lives: a larger live
// heap, and a collector that ran more often. Only text that is
// final goes in: redacted and bounded before it is shared, so sharing
// cannot carry a token or an unbounded value into a report that would
// not have held it. Reports only read these values, and clip.RedactAll
// replaces a string or byte slice rather than writing into it, so a
// value shared by several steps stays right for each.
//
// A text is kept for sharing when it is met a second time: a run of
// unique calls (a password per case) would otherwise fill the tables
// with texts no other step holds, and the tables live as long as the
// run. Texts are known by a hash of their content; a lookup compares the
// text itself, so a collision only goes unshared.
type texts struct {
	mu   sync.Mutex
	seed maphash.Seed
	// seen are the hashes of texts met once.
	seen map[uint64]struct{}
	strs map[uint64]string
	raws map[uint64]json.RawMessage
	// checks are lists of checks by their content (see checkList).
	checks map[string][]report.Check
}

// hash is the hash of text s; t.mu is held.
func (t *texts) hash(s string) uint64 {
	if t.seen == nil {
		t.seed = maphash.MakeSeed()
		t.seen = make(map[uint64]struct{})
		t.strs = make(map[uint64]string)
		t.raws = make(map[uint64]json.RawMessage)
	}
	return maphash.String(t.seed, s)
}

// again reports whether the text of hash h was met before, and remembers
// it otherwise; t.mu is held.
func (t *texts) again(h uint64) bool {
	if _, ok := t.seen[h]; ok {
		return true
	}
	if len(t.seen) < maxSharedTexts {
		t.seen[h] = struct{}{}
	}
	return false
}

// str returns s, or an equal string an earlier step of the run holds.
func (t *texts) str(s string) string {
	if s == "" || len(s) > maxSharedText {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.hash(s)
	v, ok := t.strs[h]
	if ok && v == s {
		return v
	}
	if !ok && t.again(h) && len(t.strs) < maxSharedTexts {
		t.strs[h] = s
	}
	return s
}

// raw returns JSON text s as bytes: those an earlier step of the run holds
// when it held the same text, else a copy of s. The bytes' capacity is
// their length, so that an append by a reader of the report copies them
// rather than writing into another step's.
func (t *texts) raw(s string) json.RawMessage {
	if len(s) > maxSharedText {
		return json.RawMessage(s)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.hash(s)
	v, ok := t.raws[h]
	if ok && string(v) == s {
		return v
	}
	b := json.RawMessage(s)
	b = b[:len(b):len(b)]
	if !ok && t.again(h) && len(t.raws) < maxSharedTexts {
		t.raws[h] = b
	}
	return b
}

// checkList returns cs, or an equal list of checks an earlier step of the
// run holds. Most steps of a large suite end with the same checks (reply,
// expect, stable, concurrent and latency passed, or the same expectation
// missed the same way), and the list was the largest part of a step's
// report after the step itself. cs must be final: its messages redacted
// and bounded, and no latency judgement pending (latency.go's finish
// writes into a short step's list). A list in which token, the run's,
// appears in any form is not shared: package check's last pass
// (clip.RedactAll) writes into such a list, once for every step that
// holds it. (A config run's pass also redacts the other plugins' tokens;
// redacting a list again changes it only for a token its own
// replacement recreates, such as one inside clip.Redacted ("e").)
func (t *texts) checkList(cs []report.Check, token string) []report.Check {
	// The key is built on the stack: a lookup that finds the list, which
	// is most of them, allocates nothing.
	var buf [256]byte
	key := buf[:0]
	for _, c := range cs {
		key = append(key, c.Name...)
		key = append(key, 0)
		key = append(key, c.Status...)
		key = append(key, 0)
		key = append(key, c.Message...)
		key = append(key, 0)
		if len(key) > maxSharedText {
			return cs
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.checks[string(key)]; ok {
		return v
	}
	if clip.Contains(string(key), token) {
		return cs
	}
	if t.checks == nil {
		t.checks = make(map[string][]report.Check)
	}
	if len(t.checks) < maxSharedTexts {
		// Capacity is length, so that an append by a reader of the
		// report copies rather than writing into another step's list.
		cs = cs[:len(cs):len(cs)]
		t.checks[string(key)] = cs
	}
	return cs
}
