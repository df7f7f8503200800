package suites

import (
	"encoding/json"
	"hash/maphash"
	"sync"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/report"
)

// maxSharedTexts bounds the distinct texts a run's steps share, per kind;
// maxSharedText bounds the length of one.
const (
	maxSharedTexts = 4096
	maxSharedText  = 4 << 10
)

// texts shares equal text between the step reports of a run: a large
// suite makes the same few calls thousands of times, and each step's
// report kept its own copy of the request, the observed request and reply,
// and the reproducer line for as long as the report lives, which made
// every garbage collection of the run mark them again. Only text that is
// final goes in: redacted and bounded before it is shared, so sharing
// cannot carry a token or an unbounded value into a report that would
// not have held it. Reports only read these values, and clip.RedactAll
// replaces a string or byte slice rather than writing into it, so a
// value shared by several steps stays right for each.
type texts struct {
	mu   sync.Mutex
	seed maphash.Seed
	strs map[string]string
	// raws are keyed by a hash of their text, not the text, so that a
	// JSON text seen once costs the table no copy of its own; a lookup
	// compares the bytes, so a collision only goes unshared.
	raws map[uint64]json.RawMessage
	// checks are lists of checks by their content (see checkList).
	checks map[string][]report.Check
}

// str returns s, or an equal string an earlier step of the run holds.
func (t *texts) str(s string) string {
	if s == "" || len(s) > maxSharedText {
		return s
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.strs[s]; ok {
		return v
	}
	if t.strs == nil {
		t.strs = make(map[string]string)
	}
	if len(t.strs) < maxSharedTexts {
		t.strs[s] = s
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
	if t.raws == nil {
		t.seed = maphash.MakeSeed()
		t.raws = make(map[uint64]json.RawMessage)
	}
	h := maphash.String(t.seed, s)
	v, ok := t.raws[h]
	if ok && string(v) == s {
		return v
	}
	b := json.RawMessage(s)
	b = b[:len(b):len(b)]
	if !ok && len(t.raws) < maxSharedTexts {
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
// holds it.
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
