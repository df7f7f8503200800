package mockclient

import (
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// serverAnswered reports whether the server sent gRPC response headers or
// trailers, given what grpc.Header and grpc.Trailer collected. Both carry
// at least the content-type a gRPC server must send (a trailers-only
// response included), while a status the client made up (refused, reset,
// TLS failure, connection closed mid-call) comes with neither.
func serverAnswered(header, trailer metadata.MD) bool {
	return len(header) > 0 || len(trailer) > 0
}

// unimplementedFacts explains a gRPC Unimplemented status for fullMethod
// ("/proto.Ingress/GetRule"). grpc-go servers say "unknown service S" or
// "unknown method M for service S", and generated stubs "method M not
// implemented"; other texts, from other servers, are left to the code.
func unimplementedFacts(err error, fullMethod string) []Note {
	if status.Code(err) != codes.Unimplemented {
		return nil
	}
	service, method, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return nil
	}
	msg := status.Convert(err).Message()
	switch {
	case msg == "unknown service "+service:
		return []Note{{Code: NoteUnimplementedService, Text: fmt.Sprintf(
			"the server does not serve %s at all (grpc-go: unknown service): the address is not a plugin of "+
				"this GOST module; GOST's %s call fails every time", service, method)}}
	case msg == fmt.Sprintf("unknown method %s for service %s", method, service):
		return []Note{{Code: NoteUnimplementedMethod, Text: fmt.Sprintf(
			"the server serves %s but not %s (grpc-go: unknown method): it was likely built from an older "+
				"go-gost/plugin; regenerate its stubs from go-gost/plugin v0.5.0, whose methods GOST calls; "+
				"until then GOST's %s call fails every time", service, method, method)}}
	case msg == fmt.Sprintf("method %s not implemented", method):
		return []Note{{Code: NoteUnimplementedMethod, Text: fmt.Sprintf(
			"the server registers %s but leaves %s to the generated Unimplemented%sServer stub: "+
				"implement %s; until then GOST's call fails every time", service, method, strings.TrimPrefix(service, "proto."), method)}}
	}
	return nil
}
