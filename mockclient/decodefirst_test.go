package mockclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
)

// decodeTarget is a reply shape with the kinds of field GOST's replies have.
type decodeTarget struct {
	OK    bool              `json:"ok"`
	ID    string            `json:"id"`
	N     int               `json:"n"`
	IPs   []string          `json:"ips"`
	Attrs map[string]string `json:"attrs"`
}

// sameAsDecoder checks decodeFirst against json.NewDecoder(r).Decode on the
// same stream: body, then end (nil: io.EOF with the last bytes, as the h1
// body gives it), read in pieces of at most piece bytes.
func sameAsDecoder(t *testing.T, body string, end error, piece int) {
	t.Helper()
	stream := func() io.Reader {
		var r io.Reader = strings.NewReader(body)
		if piece > 0 {
			r = iotest.OneByteReader(r)
			if piece > 1 {
				r = io.LimitReader(strings.NewReader(body), int64(piece))
				r = io.MultiReader(r, strings.NewReader(body[min(piece, len(body)):]))
			}
		}
		if end != nil {
			r = io.MultiReader(r, errReader{end})
		}
		return iotest.DataErrReader(r)
	}
	for _, target := range []func() any{
		func() any { return new(decodeTarget) },
		func() any { return new(any) },
	} {
		want, got := target(), target()
		werr := json.NewDecoder(stream()).Decode(want)
		gerr := decodeFirst(stream(), make([]byte, firstRead), got)
		assert.Equal(t, fmt.Sprint(werr), fmt.Sprint(gerr), "body %q", body)
		assert.Equal(t, errors.Is(werr, io.ErrUnexpectedEOF), errors.Is(gerr, io.ErrUnexpectedEOF))
		assert.Equal(t, want, got, "body %q", body)
	}
}

var decodeBodies = []string{
	``, ` `, `{}`, `{"ok":true,"id":"u"}`, ` {"ok":true} `, `{"ok":true}garbage`, `{"ok":true}{"ok":false}`,
	`{"ok":"yes","id":"u"}`, `{"ok":true,"n":1.5,"id":"x"}`, `{"ok":true`, `{"ok":tru`, `[1,2]`, `123`, `123 `, `12x`,
	`null`, `"s"`, `{"ips":["a","b"],"attrs":{"k":"v"}}`, `{"id":"\ud800"}`, "{\"id\":\"\xff\"}", `}`, `{"ok":true}}`,
	`{"a":1,"a":2}`, `{"ID":"case"}`, strings.Repeat(" ", 600) + `{"ok":true}`, `{"id":"` + strings.Repeat("x", 700) + `"}`,
}

// TestDecodeFirstIsDecoderDecode pins decodeFirst to json.Decoder.Decode
// on the stream for whole, cut and failing bodies read in any pieces.
func TestDecodeFirstIsDecoderDecode(t *testing.T) {
	for _, body := range decodeBodies {
		for _, end := range []error{nil, io.ErrUnexpectedEOF, errors.New("read tcp: connection reset")} {
			for _, piece := range []int{0, 1, 5, 511, 512} {
				t.Run(fmt.Sprintf("%.20q/%v/%d", body, end, piece), func(t *testing.T) {
					sameAsDecoder(t, body, end, piece)
				})
			}
		}
	}
}

// FuzzDecodeFirst checks decodeFirst against json.Decoder.Decode on any
// bytes.
func FuzzDecodeFirst(f *testing.F) {
	for _, b := range decodeBodies {
		f.Add(b, uint16(0), false)
	}
	f.Fuzz(func(t *testing.T, body string, piece uint16, fail bool) {
		var end error
		if fail {
			end = io.ErrUnexpectedEOF
		}
		sameAsDecoder(t, body, end, int(piece%1024))
	})
}

// BenchmarkDecodeFirst compares decodeFirst with json.Decoder.Decode on a
// small whole reply, as the lean path reads it.
func BenchmarkDecodeFirst(b *testing.B) {
	const reply = `{"ok":true,"id":"user-1"}`
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v AuthVerdict
			_ = json.NewDecoder(iotest.DataErrReader(strings.NewReader(reply))).Decode(&v)
		}
	})
	b.Run("decodeFirst", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, firstRead)
		for b.Loop() {
			var v AuthVerdict
			_ = decodeFirst(iotest.DataErrReader(strings.NewReader(reply)), buf, &v)
		}
	})
}
