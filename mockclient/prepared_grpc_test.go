package mockclient_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// rawFrame is a gRPC message kept as its wire bytes.
type rawFrame struct{ b []byte }

// rawCodec lets a test server see the request bytes exactly as sent.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(*rawFrame).b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	v.(*rawFrame).b = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }

// grpcCall is one request a rawGRPC server received.
type grpcCall struct {
	method      string
	body        []byte
	contentType []string
	token       []string
	timeout     []string
}

// TestPreparedGRPCBytes checks that a Prepared gRPC call sends the bytes,
// method and metadata that Operation.Do sends (content-type
// application/grpc, the token, no grpc-timeout), for every operation, and
// gets the same Outcome from the same (empty) reply.
func TestPreparedGRPCBytes(t *testing.T) {
	t.Parallel()
	ss, err := suites.Parse(fixtures.FS, fixtures.BuiltinDir, fixtures.ReferenceDir, fixtures.ExamplesDir)
	require.NoError(t, err)

	var mu sync.Mutex
	var calls []grpcCall
	srv := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, st grpc.ServerStream) error {
		var f rawFrame
		if err := st.RecvMsg(&f); err != nil {
			return err
		}
		method, _ := grpc.MethodFromServerStream(st)
		md, _ := metadata.FromIncomingContext(st.Context())
		mu.Lock()
		calls = append(calls, grpcCall{method, f.b, md.Get("content-type"), md.Get("token"), md.Get("grpc-timeout")})
		mu.Unlock()
		return st.SendMsg(&rawFrame{})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	defer wg.Wait()
	defer srv.Stop()

	c, err := mockclient.New(mockclient.Config{Addr: ln.Addr().String(), Transport: mockclient.GRPC, Token: "s3cret", Lean: true, CallTimeout: time.Minute})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	covered := map[string]bool{}
	for _, s := range ss {
		for _, cs := range s.Cases {
			for _, st := range cs.Steps {
				name := string(st.Op.Module) + "/" + st.Op.Name
				mu.Lock()
				before := len(calls)
				mu.Unlock()
				want := st.Op.Do(ctx, c, st.Request)
				p, err := st.Op.Prepare(c, st.Request)
				require.NoError(t, err, name)
				got := p.Do(ctx)
				mu.Lock()
				sent := calls[before:]
				mu.Unlock()
				if !want.Sent {
					assert.Empty(t, sent, name)
					continue
				}
				require.Len(t, sent, 2, name)
				assert.Equal(t, sent[0], sent[1], "%s: prepared call on the wire; want Do's", name)
				assert.Equal(t, []string{"application/grpc"}, sent[1].contentType, name)
				assert.Empty(t, sent[1].timeout, "%s: GOST sets no deadline", name)
				assert.Equal(t, want.Verdict, got.Verdict, name)
				assert.Equal(t, want.Failure, got.Failure, name)
				assert.Equal(t, want.Code, got.Code, name)
				assert.Equal(t, want.Notes, got.Notes, name)
				covered[name] = true
			}
		}
	}
	for _, m := range mockclient.Modules() {
		for _, op := range mockclient.Operations(m) {
			assert.True(t, covered[string(m)+"/"+op.Name], "%s/%s: no fixture request sent over gRPC", m, op.Name)
		}
	}
}
