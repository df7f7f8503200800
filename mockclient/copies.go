package mockclient

import "context"

type noCopiesKey struct{}

// WithoutCopies marks the calls made with ctx as repeats whose report keeps
// no copy of the request and reply: a suite's stable and concurrent checks
// repeat a call up to a thousand times and keep only the verdicts, and over
// gRPC the protojson copies cost a tenth of a module run's CPU. Over HTTP
// the headers as sent (Observation.Header, which only reproducers read)
// are not copied either. The call itself, its verdict and the rest of its
// Observation are unchanged.
func WithoutCopies(ctx context.Context) context.Context {
	return context.WithValue(ctx, noCopiesKey{}, true)
}

// keepsCopies reports whether a call made with ctx keeps the protojson
// copies of its request and reply.
func keepsCopies(ctx context.Context) bool {
	return ctx.Value(noCopiesKey{}) == nil
}
