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

var recorderOps = moduleOps{Recorder, []Operation{recordOp.operation()}}

// recordOp: the gRPC recorder sends even empty data; the HTTP recorder
// returns nil without a call when data is empty.
var recordOp = &op[RecorderRequest, RecorderVerdict, bool]{
	module: Recorder, name: "record", grpcMethod: methodRecord, httpMethod: "POST",
	skip: func(t Transport, req RecorderRequest) (RecorderVerdict, string, bool) {
		return RecorderVerdict{OK: true}, "GOST's HTTP recorder does not send empty data", t == HTTP && len(req.Data) == 0
	},
	grpc: func(req RecorderRequest) (grpcSpec[bool], error) {
		md, err := recorderMetadata(req)
		if err != nil {
			return grpcSpec[bool]{}, err
		}
		msg := &proto.RecordRequest{Data: req.Data, Metadata: md}
		return unary(msg, func(ctx context.Context, cc grpc.ClientConnInterface, opts ...grpc.CallOption) (*proto.RecordReply, error) {
			return proto.NewRecorderClient(cc).Record(ctx, msg, opts...)
		}, (*proto.RecordReply).GetOk), nil
	},
	http: func(req RecorderRequest) (httpSpec[bool], error) {
		md, err := recorderMetadata(req)
		if err != nil {
			return httpSpec[bool]{}, err
		}
		return jsonReply(&httpRecorderRequest{Data: req.Data, Metadata: md}, func(r *httpRecorderReply) bool { return r.OK }), nil
	},
	verdict: func(c *Client, res *Result[RecorderVerdict], ok bool) {
		res.Verdict = RecorderVerdict{OK: ok}
		recorderNotes(c, res)
	},
	failed:          recorderNotes,
	nilClient:       RecorderVerdict{OK: true},
	nilClientEffect: "GOST records nothing",
}

// recorderMetadata is the metadata as GOST sends it: its JSON encoding.
func recorderMetadata(req RecorderRequest) ([]byte, error) {
	md, err := json.Marshal(req.Metadata)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return md, nil
}

// recorderNotes explains what GOST does with a record that was not
// delivered.
func recorderNotes(c *Client, res *Result[RecorderVerdict]) {
	if res.Verdict.OK {
		return
	}
	if reason := c.notOKReason(&res.Observation); reason != "" {
		res.note(NoteNotDelivered, reason+`: GOST counts the record as failed, logs "record: record failed" `+
			"(most handlers) and loses the record; there is no retry")
	} else {
		res.note(NoteNotDelivered, recorderLost)
	}
}

// Record sends one record. The gRPC recorder sends even empty data; the HTTP
// recorder returns nil without a call when data is empty.
func (c *Client) Record(ctx context.Context, req RecorderRequest) Result[RecorderVerdict] {
	return recordOp.call(ctx, c, req)
}
