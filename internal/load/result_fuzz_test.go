package load

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readResult reads a load result file as `plugincheck merge` does with one
// JSON file (internal/cli/merge.go): JSON into a Result, then Merge, which
// decodes its histograms. When merge gets a reader of its own (issue 9,
// item 5), call that here instead; the corpus carries over.
func readResult(data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return Merge(&r)
}

// fuzzSeedResult is a real result of 300 synthetic calls, as JSON.
func fuzzSeedResult(t testing.TB) []byte {
	m, _ := synthetic(0, 300, t0, t0.Add(time.Second))
	r, err := NewResult(info(), m)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, r))
	return buf.Bytes()
}

// fuzzSeedLog is a real HDR histogram log of 300 synthetic calls.
func fuzzSeedLog(t testing.TB) []byte {
	_, ivs := synthetic(0, 300, t0, t0.Add(time.Second))
	var buf bytes.Buffer
	lw := NewLogWriter(&buf, t0)
	for i, iv := range ivs {
		iv.Start, iv.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
		require.NoError(t, lw.Write(iv))
	}
	return buf.Bytes()
}

// checkResult asserts what every result merge produces must satisfy, and
// that it reads back as itself: merging one result is the identity on its
// latencies, counts and histograms.
func checkResult(t *testing.T, res *Result) {
	t.Helper()
	assert.Equal(t, SchemaVersion, res.Schema)
	assert.GreaterOrEqual(t, res.Machines, 1)
	for name, v := range map[string]float64{"achievedRps": res.AchievedRPS, "errorRate": res.ErrorRate, "gostFailureRate": res.FailureRate} {
		assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", name, v)
	}
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, res), "a merged result always renders as JSON")
	again, err := readResult(buf.Bytes())
	require.NoError(t, err, "a merged result reads back")
	assert.Equal(t, res.Latency, again.Latency)
	assert.Equal(t, res.Counts, again.Counts)
	assert.Equal(t, res.Histograms, again.Histograms)
}

// FuzzReadResult reads the fuzzed bytes as merge reads a JSON load result:
// never a panic; a result that reads is well formed and reads back as
// itself.
func FuzzReadResult(f *testing.F) {
	f.Add(fuzzSeedResult(f))
	f.Add([]byte(`{"schema":"plugincheck.load/v1","histograms":{"corrected":"not base64!"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := readResult(data)
		if err != nil {
			assert.Nil(t, res)
			return
		}
		checkResult(t, res)
	})
}

// FuzzReadLog reads the fuzzed bytes as merge reads an HDR histogram log:
// never a panic; the histograms it read make a result (as merge builds one
// from logs) that reads back as itself.
func FuzzReadLog(f *testing.F) {
	f.Add(fuzzSeedLog(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewMetrics()
		n, err := ReadLog(bufio.NewReader(bytes.NewReader(data)), m)
		assert.GreaterOrEqual(t, n, 0)
		if err != nil || n == 0 {
			return
		}
		m.Requests = m.Corrected.TotalCount()
		res, err := NewResult(Info{Mode: "open", Machines: 1, Target: "(histogram logs)"}, m)
		require.NoError(t, err)
		checkResult(t, res)
	})
}

// compressedHistogram wraps payload (a V2 histogram encoding) as a result
// file holds it: zlib-compressed behind the V2 compressed cookie and
// length, base64-encoded.
func compressedHistogram(t testing.TB, payload []byte) string {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, err := zw.Write(payload)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	out := binary.BigEndian.AppendUint32(nil, uint32(hdr.V2CompressedEncodingCookieBase))
	out = binary.BigEndian.AppendUint32(out, uint32(z.Len()))
	return base64.StdEncoding.EncodeToString(append(out, z.Bytes()...))
}

// histogramPayload is the uncompressed V2 encoding of a result's histogram.
func histogramPayload(t testing.TB, enc string) []byte {
	raw, err := base64.StdEncoding.DecodeString(enc)
	require.NoError(t, err)
	zr, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	require.NoError(t, err)
	payload, err := io.ReadAll(zr)
	require.NoError(t, err)
	return payload
}

// FuzzDecodeHistogram fuzzes the histogram inside a result below its
// compression, which the other targets rarely get through: the header's
// geometry and the counts. Decoding never panics, and a histogram that
// decodes merges, encodes and decodes again to an equal histogram.
func FuzzDecodeHistogram(f *testing.F) {
	m, _ := synthetic(0, 300, t0, t0.Add(time.Second))
	enc, err := encode(m.Corrected)
	require.NoError(f, err)
	f.Add(histogramPayload(f, enc))
	enc, err = encode(NewHistogram())
	require.NoError(f, err)
	f.Add(histogramPayload(f, enc))
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, err := decode(compressedHistogram(t, payload))
		if err != nil {
			return
		}
		total := NewMetrics()
		total.Corrected.Merge(h)
		_ = Summarize(h)
		again, err := encode(h)
		require.NoError(t, err)
		back, err := decode(again)
		require.NoError(t, err, "a decoded histogram encodes and decodes")
		assert.True(t, back.Equals(h), "the histogram changed on a round trip")
	})
}
