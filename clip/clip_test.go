package clip

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{name: "short stays", s: "abc", n: 3, want: "abc"},
		{name: "cut with count", s: "abcdef", n: 2, want: "ab… (4 bytes more)"},
		{name: "rune boundary", s: "aé" + "xyz", n: 2, want: "a… (5 bytes more)"},
		{name: "zero", s: "abc", n: 0, want: "… (3 bytes more)"},
		{name: "huge", s: strings.Repeat("9", 30<<20), n: 4, want: "9999… (31457276 bytes more)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, Text(tt.s, tt.n))
			assert.Equal(t, tt.want, Bytes([]byte(tt.s), tt.n))
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s, token, want string
	}{
		{name: "no token", s: "token s3cr3t", token: "", want: "token s3cr3t"},
		{name: "plain", s: "token s3cr3t rejected", token: "s3cr3t", want: "token <redacted> rejected"},
		{name: "bearer", s: "Authorization: Bearer s3cr3t", token: "s3cr3t", want: "Authorization: Bearer <redacted>"},
		{name: "query escaped", s: "?t=a%2Fb+c", token: "a/b c", want: "?t=<redacted>"},
		{name: "path escaped", s: "/a%2Fb%20c", token: "a/b c", want: "/<redacted>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tt.s, tt.token)
			assert.Equal(t, tt.want, got)
			assert.False(t, Contains(got, tt.token))
		})
	}
}

func TestRedactAll(t *testing.T) {
	t.Parallel()
	type inner struct {
		Text  string
		Raw   []byte
		Any   any
		Map   map[string]int
		inner string
	}
	type outer struct {
		Addr  string
		Items []*inner
		Val   inner
		Nil   *inner
	}
	v := &outer{
		Addr: "http://x/?k=tok",
		Items: []*inner{{
			Text: "Bearer tok",
			Raw:  []byte(`{"id":"tok"}`),
			Any:  map[string]any{"tok": []any{"a tok", 1.0}},
			Map:  map[string]int{"tok": 1},
		}},
		Val: inner{Any: "tok", inner: "tok"},
	}
	RedactAll(v, "tok")
	assert.Equal(t, "http://x/?k=<redacted>", v.Addr)
	assert.Equal(t, "Bearer <redacted>", v.Items[0].Text)
	assert.Equal(t, `{"id":"<redacted>"}`, string(v.Items[0].Raw))
	assert.Equal(t, map[string]any{"<redacted>": []any{"a <redacted>", 1.0}}, v.Items[0].Any)
	assert.Equal(t, map[string]int{"<redacted>": 1}, v.Items[0].Map)
	assert.Equal(t, "<redacted>", v.Val.Any)
	assert.Equal(t, "tok", v.Val.inner, "unexported fields are left alone")
}
