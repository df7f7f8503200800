package mockclient

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestGOSTTimeoutNote pins that a call ended by GOST's own HTTP timeout is
// noted as such (the plugin was reached, but too slow for GOST), while a
// call ended by plugincheck's --call-timeout, or an answer in time, is not.
func TestGOSTTimeoutNote(t *testing.T) {
	t.Parallel()
	// stall holds the reply until the client gives up; the header stalls
	// before headers, the body case after them.
	stall := func(headersFirst bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if headersFirst {
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(`{"ok":`))
				w.(http.Flusher).Flush()
			}
			<-r.Context().Done()
		}
	}
	tests := []struct {
		name    string
		cfg     Config
		reply   http.HandlerFunc
		failure Failure
		noted   bool
	}{
		{"GOST's timeout before the headers", Config{Timeout: 100 * time.Millisecond}, stall(false), FailureTransport, true},
		{"GOST's timeout while reading the body", Config{Timeout: 100 * time.Millisecond}, stall(true), FailureDecode, true},
		{"plugincheck's own deadline", Config{CallTimeout: 100 * time.Millisecond}, stall(false), FailureTimeout, false},
		{"an answer in time", Config{Timeout: time.Minute}, replyWith(200, `{"ok":true}`), FailureNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, tt.cfg, "/auth", tt.reply)
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			var codes []string
			for _, n := range res.Notes {
				codes = append(codes, n.Code)
			}
			if tt.noted {
				assert.Contains(t, codes, NoteGOSTTimeout)
			} else {
				assert.NotContains(t, codes, NoteGOSTTimeout)
			}
		})
	}
}
