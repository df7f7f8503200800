package mockclient

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-gost/plugin/recorder/proto"
	"google.golang.org/grpc"
)

// RecorderRequest is one record GOST sends (x/recorder/plugin). Field names
// are the proto field names.
type RecorderRequest struct {
	// Data is the record: a client IP, a dial host, a JSON handler record or
	// a serial I/O chunk. The HTTP recorder sends nothing when it is empty.
	Data []byte `json:"data"`
	// Metadata is the static metadata map of the service's recorder entry.
	// GOST sends the bytes of its JSON encoding; a nil map is the 4 bytes
	// `null`.
	Metadata map[string]any `json:"metadata"`
}

// RecorderVerdict is whether Record returned nil. GOST only logs a failure:
// the record is lost and never retried.
type RecorderVerdict struct {
	OK bool `json:"ok"`
}

// httpRecorderRequest is x's body: both fields are []byte, so base64.
type httpRecorderRequest struct {
	Data     []byte `json:"data"`
	Metadata []byte `json:"metadata"`
}

type httpRecorderReply struct {
	OK bool `json:"ok"`
}

const methodRecord = "/proto.Recorder/Record"

// recorderLost is what GOST does when Record returns an error.
const recorderLost = "GOST logs the error; the record is lost, there is no retry"

func init() {
	register(opSpec[RecorderRequest, RecorderVerdict]{
		module: Recorder, name: "record", grpcMethod: methodRecord, httpMethod: "POST",
		call:            (*Client).Record,
		nilClient:       RecorderVerdict{OK: true},
		nilClientEffect: "GOST records nothing",
	})
}

// Record sends one record. The gRPC recorder sends even empty data; the HTTP
// recorder returns nil without a call when data is empty.
func (c *Client) Record(ctx context.Context, req RecorderRequest) Result[RecorderVerdict] {
	var res Result[RecorderVerdict]
	if c.transport == HTTP && len(req.Data) == 0 {
		res.Observation = c.unsent("POST", c.cfg.Addr)
		res.Verdict = RecorderVerdict{OK: true}
		res.note(NoteNotSent, "GOST's HTTP recorder does not send empty data")
		return res
	}
	md, err := json.Marshal(req.Metadata)
	if err != nil {
		method := methodRecord
		if c.transport == HTTP {
			method = "POST"
		}
		res.Observation = c.unsent(method, c.cfg.Addr)
		res.Failure, res.Err = FailureRequest, fmt.Errorf("encode metadata: %w", err)
		res.note(NoteNotDelivered, recorderLost)
		return res
	}

	if c.transport == GRPC {
		msg := &proto.RecordRequest{Data: req.Data, Metadata: md}
		stub := proto.NewRecorderClient(c.conn)
		reply, obs := callGRPC(ctx, c, methodRecord, msg,
			func(ctx context.Context, opts ...grpc.CallOption) (*proto.RecordReply, error) {
				return stub.Record(ctx, msg, opts...)
			})
		res.observe(obs)
		res.Verdict = RecorderVerdict{OK: obs.OK() && reply != nil && reply.Ok}
	} else {
		var reply httpRecorderReply
		res.observe(c.callHTTP(ctx, httpCall{
			method: "POST",
			url:    c.cfg.Addr,
			body:   &httpRecorderRequest{Data: req.Data, Metadata: md},
			reply:  &reply,
		}))
		res.Verdict = RecorderVerdict{OK: res.OK() && reply.OK}
	}
	if !res.Verdict.OK {
		if reason := c.notOKReason(&res.Observation); reason != "" {
			res.note(NoteNotDelivered, reason+`: GOST counts the record as failed, logs "record: record failed" `+
				"(most handlers) and loses the record; there is no retry")
		} else {
			res.note(NoteNotDelivered, recorderLost)
		}
	}
	return res
}
