package suites

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/plugincheck/plugincheck/mockclient"
)

// ErrWeightTotal is wrapped by the error of a request mix whose weights add
// up past the largest float64.
var ErrWeightTotal = errors.New("weights add up to infinity")

// MixCase is one case of a load test's request mix.
type MixCase struct {
	// ID is the case ID (suite/transport/case).
	ID   string
	Step *Step
	// Weight is the case's share of the mix, relative to the others.
	Weight float64
	// Stable is true when the verdict must not change from call to call:
	// the stable check applies to the step.
	Stable bool
}

// Mix returns the request mix of module m over transport t: every selected
// single-call case of ss with a weight above 0. Cases with steps are left
// out, because their calls depend on each other's state; notes say so.
func Mix(ss []*Suite, m mockclient.Module, t mockclient.Transport, f Filter) ([]MixCase, []string, error) {
	var out []MixCase
	var notes []string
	selected := 0
	total := 0.0
	for _, s := range ss {
		if s.Module != m {
			continue
		}
		for i, cs := range s.Cases {
			id := s.Slug() + "/" + string(t) + "/" + cs.Name
			if !f.Selected(id) {
				continue
			}
			selected++
			switch {
			case !appliesTo(s.Transports, t) || !appliesTo(cs.Transports, t):
				continue
			case cs.Weight == 0:
				continue
			case len(cs.Steps) != 1:
				notes = append(notes, fmt.Sprintf("%s has %d steps and is not run under load", id, len(cs.Steps)))
				continue
			}
			// Each weight is finite (the parser says so), but their sum
			// can still overflow; a mix whose total is not a number has
			// no shares.
			if total += cs.Weight; math.IsInf(total, 0) || math.IsNaN(total) {
				return nil, notes, &ParseError{File: s.File, Line: cs.Line, Field: fmt.Sprintf("cases[%d].weight", i),
					Err: fmt.Errorf("%w: weight %g takes the %s mix's total weight past %.3g; use smaller weights (only their ratios count)", ErrWeightTotal, cs.Weight, m, math.MaxFloat64)}
			}
			st := cs.Steps[0]
			out = append(out, MixCase{ID: id, Step: st, Weight: cs.Weight, Stable: slices.Contains(st.Checks, CheckStable)})
		}
	}
	if len(out) == 0 {
		if selected == 0 {
			return nil, notes, fmt.Errorf("%w for module %s over %s", ErrNoMatch, m, t)
		}
		return nil, notes, fmt.Errorf("%w: no selected %s case over %s can run under load (weight 0, steps, or another transport)", ErrNoMatch, m, t)
	}
	return out, notes, nil
}

// VerdictLabel renders the part of verdict v that must repeat from call to
// call (the whole verdict, or only `selected` for hop) as compact JSON.
func VerdictLabel(op mockclient.Operation, v any) string {
	p := project(toJSONValue(v), stableKeys(op))
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
