package mockclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

const (
	// maxKeysListed bounds how many of a plugin's key names a note lists;
	// maxKeyText bounds each name.
	maxKeysListed = 8
	maxKeyText    = 32
	// maxKnownListed is the largest GOST reply struct whose fields a note
	// lists in full.
	maxKnownListed = 6
)

// replyKeys returns the distinct top-level keys of the JSON object that
// starts reply, in order, and false when reply does not start with an
// object. reply is the kept copy, so a longer reply yields the keys before
// the cut; only tokens are scanned, values are skipped unparsed.
func replyKeys(reply []byte) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(reply))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var keys []string
	var skip json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		key, _ := tok.(string)
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
		if dec.Decode(&skip) != nil {
			break
		}
	}
	return keys, true
}

// jsonFieldNames returns the top-level JSON names encoding/json decodes
// into t (a struct or a pointer to one), and false for other types, which
// take any key.
func jsonFieldNames(t reflect.Type) ([]string, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, false
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			inner, _ := jsonFieldNames(ft)
			names = append(names, inner...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names, true
}

// ignoredKeys returns the keys that match none of the known names, compared
// as encoding/json does: exactly or case-insensitively (bytes.EqualFold).
func ignoredKeys(keys, known []string) []string {
	var out []string
	for _, k := range keys {
		if !slices.ContainsFunc(known, func(n string) bool { return strings.EqualFold(n, k) }) {
			out = append(out, k)
		}
	}
	return out
}

// replyKeyFacts notes the top-level keys of obs's reply that GOST's reply
// struct, of which reply is a pointer, does not have.
func (c *Client) replyKeyFacts(obs *Observation, reply any) {
	c.replyKeyFactsMemo(obs, reflect.TypeOf(reply), &c.keysMemo)
}

// replyKeyFactsMemo is replyKeyFacts, for a reply of type t, with the key
// scan remembered in memo.
func (c *Client) replyKeyFactsMemo(obs *Observation, t reflect.Type, memo *keysMemos) {
	known, ok := jsonFieldNamesOf(t)
	if !ok {
		return
	}
	keys, ok := memoKeys(memo, obs.Reply)
	if !ok {
		return
	}
	ignored := ignoredKeys(keys, known)
	if len(ignored) == 0 {
		return
	}
	text := "GOST ignores reply keys " + c.keyList(ignored)
	if len(known) <= maxKnownListed {
		text += ": its reply has only " + strings.Join(known, ", ")
	} else {
		text += ": GOST's reply has no such fields"
	}
	obs.facts = append(obs.facts, Note{Code: NoteReplyKeysIgnored, Text: text})
}

// keyList names at most maxKeysListed of a plugin's keys, each bounded,
// redacted and quoted unless plain, then says how many more there are.
func (c *Client) keyList(keys []string) string {
	shown := keys[:min(len(keys), maxKeysListed)]
	names := make([]string, 0, len(shown))
	for _, k := range shown {
		names = append(names, keyName(c.redact(k)))
	}
	s := strings.Join(names, ", ")
	if more := len(keys) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// keyName clips a key name and quotes it unless it is plain letters,
// digits, '_', '-' and '.', so that no plugin text can shape a note.
func keyName(k string) string {
	k = clipText(k, maxKeyText)
	plain := k != "" && strings.IndexFunc(strings.TrimSuffix(k, "…"), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-.", r)
	}) < 0
	if plain {
		return k
	}
	return strconv.Quote(k)
}

// notOKReason says why a decoded observer or recorder reply is not ok:true:
// over HTTP, a missing ok key (naming the keys the reply had) or an ok that
// is not true; over gRPC, ok:false. It returns "" for failed calls, whose
// failure says it.
func (c *Client) notOKReason(obs *Observation) string {
	if !obs.OK() || !obs.Sent {
		return ""
	}
	if obs.Transport == GRPC {
		return "the plugin answered ok:false (proto3 reads an unset ok as false)"
	}
	keys, ok := c.replyKeysOf(obs.Reply)
	switch {
	case !ok:
		return `the reply is JSON null, not an object with "ok": true`
	case len(keys) == 0:
		return `the reply is an empty object, with no "ok" key`
	case len(ignoredKeys(keys, []string{"ok"})) == len(keys):
		return fmt.Sprintf(`the reply has no "ok" key (its keys: %s); GOST reads only ok`, c.keyList(keys))
	}
	return `the reply's "ok" is not true`
}
