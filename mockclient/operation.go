package mockclient

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Operation is one call GOST can make to a module, in a form that fixture
// runners can drive without knowing the module's Go types.
type Operation struct {
	// Module is the module the call belongs to.
	Module Module
	// Name is the operation's fixture name ("authenticate", "get_rule", …).
	Name string
	// GRPCMethod is the full gRPC method name.
	GRPCMethod string
	// HTTPMethod is the HTTP method GOST uses.
	HTTPMethod string
	// NewRequest returns a pointer to a zero request value of the
	// operation's request type, for decoding fixtures into.
	NewRequest func() any
	// VerdictType is the type of the operation's verdict (for example
	// AuthVerdict), for validating expectations.
	VerdictType reflect.Type
	// Do makes the call with a request from NewRequest.
	Do func(ctx context.Context, c *Client, req any) Outcome
	// NilClientVerdict is the verdict GOST returns without calling when its
	// gRPC client could not be built (a malformed target).
	NilClientVerdict any
	// NilClientEffect says, in GOST's terms, what that verdict means.
	NilClientEffect string
}

// Outcome is a Result with its verdict type erased.
type Outcome struct {
	Observation
	// Verdict is the module's verdict value (for example AuthVerdict).
	Verdict any
	Notes   []Note
}

// ErrUnknownOperation is returned for an operation a module does not have.
var ErrUnknownOperation = errors.New("unknown operation")

var operations = map[Module][]Operation{}

// opSpec describes a typed operation for register.
type opSpec[Req, V any] struct {
	module     Module
	name       string
	grpcMethod string
	httpMethod string
	call       func(c *Client, ctx context.Context, req Req) Result[V]
	// nilClient and nilClientEffect: GOST's answer when its gRPC client is nil.
	nilClient       V
	nilClientEffect string
}

// register adds a typed operation to the registry at init time.
func register[Req, V any](s opSpec[Req, V]) {
	operations[s.module] = append(operations[s.module], Operation{
		Module:      s.module,
		Name:        s.name,
		GRPCMethod:  s.grpcMethod,
		HTTPMethod:  s.httpMethod,
		NewRequest:  func() any { return new(Req) },
		VerdictType: reflect.TypeFor[V](),
		Do: func(ctx context.Context, c *Client, req any) Outcome {
			r := s.call(c, ctx, *req.(*Req))
			r.Observation.module = s.module
			return Outcome{Observation: r.Observation, Verdict: r.Verdict, Notes: r.Notes}
		},
		NilClientVerdict: s.nilClient,
		NilClientEffect:  s.nilClientEffect,
	})
}

// Operations returns the operations of module m; the first is its default.
func Operations(m Module) []Operation { return operations[m] }

// LookupOperation finds the operation called name in module m. An empty name
// selects the module's default (first) operation.
func LookupOperation(m Module, name string) (Operation, error) {
	ops := operations[m]
	if len(ops) == 0 {
		return Operation{}, fmt.Errorf("%w %q", ErrUnknownModule, m)
	}
	if name == "" {
		return ops[0], nil
	}
	names := make([]string, 0, len(ops))
	for _, op := range ops {
		if op.Name == name {
			return op, nil
		}
		names = append(names, op.Name)
	}
	return Operation{}, fmt.Errorf("%w %q for %s (want one of %s)", ErrUnknownOperation, name, m, strings.Join(names, ", "))
}
