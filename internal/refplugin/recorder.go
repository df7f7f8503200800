package refplugin

import (
	"context"
	"net/http"

	recorderpb "github.com/go-gost/plugin/recorder/proto"
	"google.golang.org/grpc"
)

// record accepts every record; GOST only logs a refusal, so there is
// nothing for a reference policy to vary.
func record() bool { return true }

var recorderModule = module{
	name:    "recorder",
	service: recorderpb.Recorder_ServiceDesc.ServiceName,
	register: func(_ *Server, g grpc.ServiceRegistrar) {
		recorderpb.RegisterRecorderServer(g, recorderGRPC{})
	},
	handler: func(*Server) http.Handler {
		return post(func(recordRequest) any { return okReply{OK: record()} })
	},
}

type recorderGRPC struct {
	recorderpb.UnimplementedRecorderServer
}

func (recorderGRPC) Record(context.Context, *recorderpb.RecordRequest) (*recorderpb.RecordReply, error) {
	return &recorderpb.RecordReply{Ok: record()}, nil
}

// recordRequest is the body GOST POSTs (x: recorder/plugin/http.go); both
// fields are []byte, so base64 in JSON.
type recordRequest struct {
	Data     []byte `json:"data"`
	Metadata []byte `json:"metadata"`
}
