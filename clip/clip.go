// Package clip bounds and redacts text that comes from a plugin: a hostile
// plugin can send megabytes of reason phrase or number literal, or echo the
// token, and every layer that keeps or prints such text uses these helpers.
package clip

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Size is the default bound, in bytes, of one text from a plugin: enough to
// read what went wrong, small enough that a report repeating it for every
// case stays small.
const Size = 2 << 10

// Redacted replaces the token wherever it appears.
const Redacted = "<redacted>"

// Text returns s cut to at most n bytes on a rune boundary, followed by
// "… (N bytes more)" when anything was cut, so readers know the text is
// not whole and how much is missing.
func Text(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + "… (" + strconv.Itoa(len(s)-cut) + " bytes more)"
}

// Bytes is Text for a byte slice; it copies only the part it keeps.
func Bytes(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "") + "… (" + strconv.Itoa(len(b)-cut) + " bytes more)"
}

// Redact replaces token, and its URL-escaped forms, by Redacted; "Bearer
// <token>" becomes "Bearer <redacted>". An empty token changes nothing.
func Redact(s, token string) string {
	if token == "" {
		return s
	}
	for _, form := range forms(token) {
		s = strings.ReplaceAll(s, form, Redacted)
	}
	return s
}

// Contains reports whether s holds token in any form Redact replaces.
func Contains(s, token string) bool {
	if token == "" {
		return false
	}
	for _, form := range forms(token) {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

func forms(token string) []string {
	out := []string{token}
	for _, f := range []string{url.QueryEscape(token), url.PathEscape(token)} {
		if f != token && f != out[len(out)-1] {
			out = append(out, f)
		}
	}
	return out
}
