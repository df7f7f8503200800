package mockclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// firstRead is the size of json.Decoder's first read, so that the reader
// sees the same first Read as GOST's json.NewDecoder(resp.Body).Decode.
const firstRead = 512

// decodeFirst is json.NewDecoder(r).Decode(v), the way GOST's HTTP clients
// decode a reply, at less cost for a small reply: when the first Read of
// len(buf) bytes returns the whole stream (the body gives io.EOF with its
// last bytes), the value is decoded with json.Unmarshal, which for a
// stream that is one valid value (target filled, type errors alike) is
// what the decoder does. Any syntax error leaves v untouched and the
// decoder reads the same bytes again, with what follows; so its
// acceptance of a first value followed by anything, and its errors, are
// kept exactly. Like the decoder, it never reads past a Read that
// completed the value before asking for more.
func decodeFirst(r io.Reader, buf []byte, v any) error {
	n, err := r.Read(buf)
	return decodeRest(r, buf[:n], err, v)
}

// decodeRest is decodeFirst after its first Read, which returned
// buf and err: the lean path looks at the first bytes before it decodes.
func decodeRest(r io.Reader, buf []byte, err error, v any) error {
	n := len(buf)
	if err == io.EOF {
		uerr := json.Unmarshal(buf[:n], v)
		var se *json.SyntaxError
		if !errors.As(uerr, &se) {
			return uerr
		}
		return json.NewDecoder(bytes.NewReader(buf[:n])).Decode(v)
	}
	var tail io.Reader = r
	if err != nil {
		tail = errReader{err}
	}
	return json.NewDecoder(io.MultiReader(bytes.NewReader(buf[:n]), tail)).Decode(v)
}

// errReader returns err, for the stream after a Read that failed.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
