package mockclient

import (
	"fmt"

	admissionpb "github.com/go-gost/plugin/admission/proto"
	authpb "github.com/go-gost/plugin/auth/proto"
	bypasspb "github.com/go-gost/plugin/bypass/proto"
	hoppb "github.com/go-gost/plugin/hop/proto"
	hostspb "github.com/go-gost/plugin/hosts/proto"
	ingresspb "github.com/go-gost/plugin/ingress/proto"
	limiterpb "github.com/go-gost/plugin/limiter/traffic/proto"
	observerpb "github.com/go-gost/plugin/observer/proto"
	recorderpb "github.com/go-gost/plugin/recorder/proto"
	resolverpb "github.com/go-gost/plugin/resolver/proto"
	rewriterpb "github.com/go-gost/plugin/rewriter/proto"
	routerpb "github.com/go-gost/plugin/router/proto"
	sdpb "github.com/go-gost/plugin/sd/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// ProtoFiles are the go-gost/plugin v0.5.0 descriptors of all 13 modules.
func ProtoFiles() []protoreflect.FileDescriptor {
	return []protoreflect.FileDescriptor{
		admissionpb.File_admission_proto, authpb.File_auth_proto, bypasspb.File_bypass_proto,
		hoppb.File_hop_proto, hostspb.File_hosts_proto, ingresspb.File_ingress_proto,
		limiterpb.File_limiter_proto, observerpb.File_observer_proto, recorderpb.File_recorder_proto,
		resolverpb.File_resolver_proto, rewriterpb.File_rewriter_proto, routerpb.File_router_proto,
		sdpb.File_sd_proto,
	}
}

// ProtoSet returns a serialized FileDescriptorSet of every plugin proto, the
// schema grpcurl needs (-protoset) to call a plugin that serves no
// reflection, which is most of them.
func ProtoSet() ([]byte, error) {
	var set descriptorpb.FileDescriptorSet
	for _, f := range ProtoFiles() {
		set.File = append(set.File, protodesc.ToFileDescriptorProto(f))
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(&set)
	if err != nil {
		return nil, fmt.Errorf("marshal protoset: %w", err)
	}
	return b, nil
}
