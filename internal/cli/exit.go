package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// ExitCode is plugincheck's process exit status (docs/exit-codes.md).
type ExitCode int

// Exit codes. They are part of plugincheck's interface: CI jobs branch on them.
const (
	ExitOK          ExitCode = 0   // every selected case passed (warnings allowed unless --strict)
	ExitFailed      ExitCode = 1   // a check failed; the report is already written
	ExitUsage       ExitCode = 2   // bad flag, bad fixture, pattern matched nothing
	ExitUnreachable ExitCode = 3   // GOST could not connect with the settings given (reach, TLS, transport)
	ExitThreshold   ExitCode = 4   // a load-test threshold was breached
	ExitInterrupted ExitCode = 130 // interrupted; a partial report was written
)

// ErrChecksFailed means at least one check failed; the report says which,
// so the error itself is not printed.
var ErrChecksFailed = errors.New("checks failed")

// ErrTargetUnreachable means GOST could not have talked to the plugin.
var ErrTargetUnreachable = errors.New("plugin unreachable")

// ErrThresholdBreached means a load-test gate failed.
var ErrThresholdBreached = errors.New("threshold breached")

// FlagError is a usage mistake on the command line.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }

func (e *FlagError) Unwrap() error { return e.Err }

// flagErrorf builds a FlagError.
func flagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// exitCodeFor maps an error from a command to the exit code. It is the only
// place that decides exit codes.
func exitCodeFor(ctx context.Context, err error) ExitCode {
	var fe *FlagError
	var pe *suites.ParseError
	var pat *suites.PatternError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return ExitInterrupted
	case errors.Is(err, ErrTargetUnreachable):
		return ExitUnreachable
	case errors.Is(err, ErrThresholdBreached):
		return ExitThreshold
	case errors.As(err, &fe), errors.As(err, &pe), errors.As(err, &pat),
		errors.Is(err, suites.ErrNoMatch), errors.Is(err, mockclient.ErrInvalidTarget), errors.Is(err, mockclient.ErrBadAddress),
		errors.Is(err, mockclient.ErrUnknownModule), errors.Is(err, mockclient.ErrUnknownTransport):
		return ExitUsage
	}
	return ExitFailed
}

// oneLine flattens an error message to a single line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}
