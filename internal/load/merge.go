package load

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// MergeOptions tune how Merge combines results.
type MergeOptions struct {
	// Names name the results in errors, in the order given to Merge (a
	// file name each); a result without a name is "result N".
	Names []string
	// AllowGaps merges results whose measured windows leave a gap (runs
	// made one after the other). The achieved rate is then the sum of each
	// run's rate over its own window, as if the runs had been made
	// together, and the elapsed time is the longest run's window. Without
	// a gap it changes nothing.
	AllowGaps bool
}

// ErrWindowGap is wrapped by Merge's error for results whose measured
// windows leave a gap: the union of their windows would count the gap as
// measured time, and report a rate nobody achieved.
var ErrWindowGap = errors.New("measured windows do not overlap")

func (o MergeOptions) name(i int) string {
	if i < len(o.Names) && o.Names[i] != "" {
		return o.Names[i]
	}
	return fmt.Sprintf("result %d", i+1)
}

// measured reports whether r has a measured window: a run interrupted
// before its first call has none, and takes no part in the window checks.
func measured(r *Result) bool {
	return r.Requests > 0 && !r.StartedAt.IsZero() && !r.EndedAt.Before(r.StartedAt)
}

// checkWindows reports whether the measured windows of rs leave a gap,
// which is an error unless o.AllowGaps. Windows that only touch (the two
// halves of one run) leave none.
func (o MergeOptions) checkWindows(rs []*Result) (gap bool, err error) {
	var idx []int
	for i, r := range rs {
		if measured(r) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rs[a].StartedAt.Compare(rs[b].StartedAt) })
	if len(idx) == 0 {
		return false, nil
	}
	last := idx[0] // the run that ends last among those started so far
	for _, next := range idx[1:] {
		if rs[next].StartedAt.After(rs[last].EndedAt) {
			if o.AllowGaps {
				return true, nil
			}
			return true, fmt.Errorf("%w: %s started %s after %s ended (%s, then %s): runs made one after the other make no combined rate; start them together",
				ErrWindowGap, o.name(next), rs[next].StartedAt.Sub(rs[last].EndedAt).Round(time.Millisecond), o.name(last),
				window(rs[last]), window(rs[next]))
		}
		if rs[next].EndedAt.After(rs[last].EndedAt) {
			last = next
		}
	}
	return false, nil
}

func window(r *Result) string {
	const layout = "2006-01-02 15:04:05.000"
	return r.StartedAt.UTC().Format(layout) + "–" + r.EndedAt.UTC().Format(layout) + " UTC"
}

// rateOverOwnWindows sets the achieved rate of merged result out to the
// sum of each run's rate over its own window, and its elapsed time to the
// longest run's window.
func rateOverOwnWindows(out *Result, rs []*Result) {
	rate := 0.0
	var longest time.Duration
	for _, r := range rs {
		if !measured(r) {
			continue
		}
		el := r.EndedAt.Sub(r.StartedAt)
		longest = max(longest, el)
		if el > 0 {
			rate += float64(r.Requests) / el.Seconds()
		}
	}
	out.AchievedRPS = rate
	out.Elapsed = Duration(longest)
	out.Notes = append(out.Notes, "the runs' measured windows leave a gap (merged with gaps allowed): the achieved rate is the sum of each run's rate over its own window, as if the runs had been made together, and the elapsed time is the longest run's window")
}
