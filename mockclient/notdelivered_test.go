package mockclient

import (
	"strings"
	"testing"

	observerpb "github.com/go-gost/plugin/observer/proto"
	recorderpb "github.com/go-gost/plugin/recorder/proto"
	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc"
)

const (
	observerForever = `: GOST counts the batch as failed. ` + observerResend +
		`. If the plugin always answers so, GOST resends its first failed batch forever and the plugin's accounting freezes there`
	recorderFailed = `: GOST counts the record as failed, logs "record: record failed" (most handlers) and loses the record; there is no retry`
)

func TestObserverNotDeliveredText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		notes  []Note
	}{
		{
			name: "no ok key", status: 200, body: `{"success":true,"msg":"stored"}`,
			notes: []Note{
				{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys success, msg: its reply has only ok"},
				{Code: NoteNotDelivered, Text: `the reply has no "ok" key (its keys: success, msg); GOST reads only ok` + observerForever},
			},
		},
		{
			name: "ok false", status: 200, body: `{"ok":false}`,
			notes: []Note{{Code: NoteNotDelivered, Text: `the reply's "ok" is not true` + observerForever}},
		},
		{
			name: "empty object", status: 200, body: `{}`,
			notes: []Note{{Code: NoteNotDelivered, Text: `the reply is an empty object, with no "ok" key` + observerForever}},
		},
		{
			name: "null", status: 200, body: `null`,
			notes: []Note{{Code: NoteNotDelivered, Text: `the reply is JSON null, not an object with "ok": true` + observerForever}},
		},
		{
			name: "a failed call says only what GOST does", status: 500,
			notes: []Note{{Code: NoteNotDelivered, Text: observerResend}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/observe", replyWith(tt.status, tt.body))
			res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
			assert.False(t, res.Verdict.OK)
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestObserverNotDeliveredManyKeysBounded(t *testing.T) {
	t.Parallel()
	body := `{"a1":1,"a2":1,"a3":1,"a4":1,"a5":1,"a6":1,"a7":1,"a8":1,"a9":1,"` + strings.Repeat("z", 200) + `":1}`
	c, _ := newHTTPTestClient(t, Config{}, "/observe", replyWith(200, body))
	res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
	assert.Equal(t, []string{NoteReplyKeysIgnored, NoteNotDelivered}, noteCodes(res.Notes))
	assert.Contains(t, res.Notes[1].Text, `(its keys: a1, a2, a3, a4, a5, a6, a7, a8 and 2 more)`)
	assert.NotContains(t, res.Notes[1].Text, "zzz")
}

func TestObserverNotDeliveredGRPC(t *testing.T) {
	t.Parallel()
	srv := &observerServer{reply: &observerpb.ObserveReply{}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { observerpb.RegisterObserverServer(s, srv) })
	res := c.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
	assert.Equal(t, []Note{{Code: NoteNotDelivered,
		Text: "the plugin answered ok:false (proto3 reads an unset ok as false)" + observerForever}}, res.Notes)
}

func TestRecorderNotDeliveredText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		notes  []Note
	}{
		{
			name: "no ok key", status: 200, body: `{"success":true}`,
			notes: []Note{
				{Code: NoteReplyKeysIgnored, Text: "GOST ignores reply keys success: its reply has only ok"},
				{Code: NoteNotDelivered, Text: `the reply has no "ok" key (its keys: success); GOST reads only ok` + recorderFailed},
			},
		},
		{
			name: "ok false", status: 200, body: `{"ok":false}`,
			notes: []Note{{Code: NoteNotDelivered, Text: `the reply's "ok" is not true` + recorderFailed}},
		},
		{
			name: "a failed call", status: 503,
			notes: []Note{{Code: NoteNotDelivered, Text: recorderLost}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/record", replyWith(tt.status, tt.body))
			res := c.Record(t.Context(), RecorderRequest{Data: []byte("10.0.0.1")})
			assert.False(t, res.Verdict.OK)
			assert.Equal(t, tt.notes, res.Notes)
		})
	}
}

func TestRecorderNotDeliveredGRPC(t *testing.T) {
	t.Parallel()
	srv := &recorderServer{reply: &recorderpb.RecordReply{}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { recorderpb.RegisterRecorderServer(s, srv) })
	res := c.Record(t.Context(), RecorderRequest{Data: []byte("x")})
	assert.Equal(t, []Note{{Code: NoteNotDelivered,
		Text: "the plugin answered ok:false (proto3 reads an unset ok as false)" + recorderFailed}}, res.Notes)
}
