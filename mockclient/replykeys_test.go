package mockclient

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplyKeysIgnoredAuth(t *testing.T) {
	t.Parallel()
	many := make([]string, 0, 12)
	for i := range 12 {
		many = append(many, fmt.Sprintf(`"k%d":1`, i))
	}
	tests := []struct {
		name  string
		body  string
		notes []Note
	}{
		{
			name:  "extra keys are named",
			body:  `{"ok":true,"id":"u","secret":"x","success":true}`,
			notes: []Note{{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys secret, success: its reply has only ok, id"}},
		},
		{name: "keys match case-insensitively as in encoding/json", body: `{"OK":true,"Id":"u"}`},
		{name: "only known keys", body: `{"ok":true,"id":"u"}`},
		{name: "a repeated key is named once", body: `{"ok":true,"x":1,"x":2}`,
			notes: []Note{{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys x: its reply has only ok, id"}}},
		{
			name:  "at most eight keys are named",
			body:  `{"ok":true,` + strings.Join(many, ",") + `}`,
			notes: []Note{{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys k0, k1, k2, k3, k4, k5, k6, k7 and 4 more: its reply has only ok, id"}},
		},
		{
			name:  "long and odd names are clipped and quoted",
			body:  `{"ok":true,"` + strings.Repeat("y", 100) + `":1,"a b\n":2}`,
			notes: []Note{{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys " + strings.Repeat("y", 32) + `…, "a b\n": its reply has only ok, id`}},
		},
		{
			name:  "an echoed token is redacted",
			body:  `{"ok":true,"s3cret":1}`,
			notes: []Note{{Code: NoteReplyKeysIgnored, Text: `GOST ignores reply keys "<redacted>": its reply has only ok, id`}},
		},
		{name: "trailing data after the reply is not examined", body: `{"ok":true} {"extra":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{Token: "s3cret"}, "/auth", replyWith(200, tt.body))
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			require.True(t, res.OK(), res.Error())
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestReplyKeysIgnoredOnlyForDecodedReplies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
	}{
		{name: "non-200", status: 500, body: `{"ok":true,"extra":1}`},
		{name: "decode failure", status: 200, body: `{"ok":"yes","extra":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/admit", replyWith(tt.status, tt.body))
			res := c.Admit(t.Context(), AdmissionRequest{Addr: "10.0.0.1:1"})
			require.False(t, res.OK())
			assert.NotContains(t, noteCodes(res.Notes), NoteReplyKeysIgnored)
		})
	}
}

func TestReplyKeysIgnoredHopNode(t *testing.T) {
	t.Parallel()
	c, _ := newHTTPTestClient(t, Config{}, "/hop", replyWith(200, `{"name":"n","addr":"127.0.0.1:8080","adress":"x"}`))
	res := c.Select(t.Context(), HopRequest{Addr: "example.com:443"})
	require.True(t, res.OK(), res.Error())
	assert.Contains(t, res.Notes, Note{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys adress: GOST's reply has no such fields"})
}

func TestReplyKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, reply string
		keys        []string
		object      bool
	}{
		{name: "object", reply: `{"a":1,"b":{"c":2},"d":[1,{"e":3}]}`, keys: []string{"a", "b", "d"}, object: true},
		{name: "empty object", reply: `{}`, object: true},
		{name: "truncated keeps the keys before the cut", reply: `{"a":1,"b":"xx`, keys: []string{"a", "b"}, object: true},
		{name: "null", reply: `null`},
		{name: "array", reply: `[{"a":1}]`},
		{name: "empty", reply: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, object := replyKeys([]byte(tt.reply))
			assert.Equal(t, tt.keys, keys)
			assert.Equal(t, tt.object, object)
		})
	}
}

func TestJSONFieldNames(t *testing.T) {
	t.Parallel()
	type inner struct {
		In string `json:"in"`
	}
	type outer struct {
		inner
		Tagged   string `json:"tagged,omitempty"`
		Untagged int
		Skipped  bool `json:"-"`
		Dash     bool `json:"-,"`
		private  int
	}
	names, ok := jsonFieldNames(reflect.TypeFor[*outer]())
	require.True(t, ok)
	assert.Equal(t, []string{"in", "tagged", "Untagged", "-"}, names)
	_, ok = jsonFieldNames(reflect.TypeFor[*map[string]any]())
	assert.False(t, ok, "a map takes any key")
	_ = outer{}.private
}
