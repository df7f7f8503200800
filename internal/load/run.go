// Package load drives a plugin with calls, closed loop (a fixed number of
// callers) or open loop (calls at a fixed rate), and measures them with HDR
// histograms in memory that does not grow with the number of calls. It
// knows nothing about GOST or transports: a Call makes one call and
// classifies it. It never prints.
package load

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Call makes call number n of the run and classifies what came back. ctx
// ends when the run is interrupted; a run that ends by its own bounds lets
// calls in flight finish instead.
type Call func(ctx context.Context, n uint64) Outcome

// StopReason says why a run ended.
type StopReason int

// Stop reasons.
const (
	ReasonNone     StopReason = iota
	ReasonDuration            // the duration elapsed
	ReasonRequests            // the requested number of calls was made
	ReasonSchedule            // the pacer had no more calls
	ReasonCancel              // the context ended (interrupted)
)

var reasonNames = [...]string{"", "duration", "requests", "schedule", "interrupted"}

func (r StopReason) String() string {
	if r < 0 || int(r) >= len(reasonNames) {
		return fmt.Sprintf("StopReason(%d)", int(r))
	}
	return reasonNames[r]
}

// MarshalText makes a StopReason a JSON string.
func (r StopReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses what MarshalText wrote.
func (r *StopReason) UnmarshalText(b []byte) error {
	for i, name := range reasonNames {
		if name == string(b) {
			*r = StopReason(i)
			return nil
		}
	}
	return fmt.Errorf("load: unknown stop reason %q", b)
}

// Defaults for the options.
const (
	DefaultConcurrency   = 16
	DefaultInterval      = time.Second
	DefaultLateTolerance = time.Millisecond
)

// ErrInvalidOption is wrapped by the errors of invalid options.
var ErrInvalidOption = errors.New("load: invalid option")

type config struct {
	concurrency   int
	duration      time.Duration
	requests      uint64
	warmup        time.Duration
	interval      time.Duration
	lateTolerance time.Duration
	cases         int
	// goTimers makes the pacer wait with Go timers only; see WithGoTimers.
	goTimers bool
}

// Option configures Run.
type Option func(*config) error

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidOption, fmt.Sprintf(format, args...))
}

// WithConcurrency sets how many calls may be in flight at once: the number
// of callers of a closed loop, the cap of an open loop, whose callers start
// only as due slots find every caller busy (MaxGrowingConcurrency lets the
// cap follow the plugin).
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("concurrency %d: want at least 1", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithDuration ends the run d after the warm-up; 0 means no time bound.
// Calls in flight at the end finish and are measured.
func WithDuration(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("duration %s is negative", d)
		}
		c.duration = d
		return nil
	}
}

// WithRequests ends the run after n measured calls; 0 means no bound.
func WithRequests(n uint64) Option {
	return func(c *config) error { c.requests = n; return nil }
}

// WithWarmup makes calls for d before measuring; they are counted in
// Counts.Warmup only.
func WithWarmup(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("warm-up %s is negative", d)
		}
		c.warmup = d
		return nil
	}
}

// WithInterval sets how often Run sends an Interval.
func WithInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return invalid("interval %s: want a positive duration", d)
		}
		c.interval = d
		return nil
	}
}

// WithLateTolerance sets how late after its send slot a call may start
// before it counts as late (the generator fell behind).
func WithLateTolerance(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("late tolerance %s is negative", d)
		}
		c.lateTolerance = d
		return nil
	}
}

// WithGoTimers makes an open loop wait for its send slots with Go timers
// only, as a testing/synctest bubble needs: its fake clock moves Go timers,
// not the kernel timer (a timerfd on Linux) that otherwise times the slots
// to the microsecond.
func WithGoTimers() Option {
	return func(c *config) error { c.goTimers = true; return nil }
}

// WithCases sets how many cases the request mix has, for per-case counts.
func WithCases(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("cases %d is negative", n)
		}
		c.cases = n
		return nil
	}
}

// Run starts the run and returns its intervals. p schedules an open loop;
// nil runs a closed loop, each caller starting its next call as soon as the
// previous one returns.
//
// In an open loop one pacer goroutine owns the schedule and hands each send
// slot, when it is due, to an idle caller; callers are started as slots
// find them all busy, up to the concurrency, which is then a hard cap:
// further slots wait (and count as late).
//
// The channel is closed once every call has returned and the final interval
// has been sent; no goroutine of the run outlives it. The caller must read
// it to the end. The run ends at its bounds or when ctx ends; calls in flight
// at an interruption are cancelled and counted as Abandoned, never as errors.
func Run(ctx context.Context, call Call, p Pacer, opts ...Option) (<-chan *Interval, error) {
	cfg := config{concurrency: DefaultConcurrency, interval: DefaultInterval, lateTolerance: DefaultLateTolerance}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if call == nil {
		return nil, invalid("nil call")
	}
	r := &runner{cfg: cfg, call: call, pacer: p, start: time.Now(), done: ctx.Done()}
	r.measureStart = r.start.Add(cfg.warmup)
	if cfg.duration > 0 {
		r.deadline = r.measureStart.Add(cfg.duration)
	}
	var clk clock
	if p != nil {
		clk = newGoClock(r.done)
		if !cfg.goTimers {
			if c, err := newPreciseClock(ctx); err == nil {
				clk = c
			}
		}
	}
	// Callers share a few recorders rather than owning one each, so memory
	// stays fixed whatever the concurrency.
	r.shards = make([]*shard, min(cfg.concurrency, 2*runtime.GOMAXPROCS(0)))
	for i := range r.shards {
		r.shards[i] = &shard{corr: NewHistogram(), uncorr: NewHistogram(), counts: Counts{Cases: make([]CaseCounts, cfg.cases)}}
	}
	out := make(chan *Interval, 1)
	workersDone := make(chan struct{})
	if p == nil {
		for i := range cfg.concurrency {
			r.wg.Go(func() { r.worker(ctx, r.shards[i%len(r.shards)]) })
		}
		r.maxInFlight.Store(int64(cfg.concurrency))
	} else {
		r.slots = make(chan slot)
		r.wg.Go(func() {
			defer clk.close()
			r.pace(ctx, clk)
		})
	}
	go func() {
		r.wg.Wait()
		close(workersDone)
	}()
	go r.collect(out, workersDone)
	return out, nil
}

type runner struct {
	cfg   config
	call  Call
	pacer Pacer
	done  <-chan struct{}
	wg    sync.WaitGroup

	start, measureStart, deadline time.Time

	next     atomic.Uint64 // next slot number; closed loop
	issued   atomic.Uint64 // slots whose call was started
	measured atomic.Uint64 // measured slots taken, for the requests bound
	reason   atomic.Int64  // first StopReason

	// Open loop: the pacer hands slots to idle callers over slots.
	slots       chan slot
	callers     atomic.Int64 // callers running
	inFlight    atomic.Int64 // calls handed out and not yet returned
	maxInFlight atomic.Int64 // the most at once; written by the pacer

	shards []*shard
	last   time.Time // start of the current interval; collector only
}

// shard is one recorder, shared by a few callers.
type shard struct {
	mu      sync.Mutex
	corr    *hdr.Histogram
	uncorr  *hdr.Histogram
	counts  Counts
	lastEnd time.Time // completion of the latest measured call
}

func (r *runner) stop(reason StopReason) {
	r.reason.CompareAndSwap(int64(ReasonNone), int64(reason))
}

func (r *runner) interrupted() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// worker is one caller of a closed loop. It needs no pacer: each call
// starts when the previous one returns.
func (r *runner) worker(ctx context.Context, sh *shard) {
	// Each caller gets its own child of ctx: a call that derives its own
	// context from it then registers with this caller's context alone, not
	// with one parent shared, under one mutex, by every caller.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for {
		if r.interrupted() {
			r.stop(ReasonCancel)
			return
		}
		n := r.next.Add(1) - 1
		due := time.Now()
		if !r.deadline.IsZero() && !due.Before(r.deadline) {
			r.stop(ReasonDuration)
			return
		}
		measured := !due.Before(r.measureStart)
		if measured && r.cfg.requests > 0 && r.measured.Add(1) > r.cfg.requests {
			r.stop(ReasonRequests)
			return
		}
		r.issued.Add(1)
		o := r.call(ctx, n)
		end := time.Now()
		interrupted := (o.Error != "" || o.Failure != "") && r.interrupted()
		r.record(sh, measured, interrupted, o, due, due, end)
	}
}

func (r *runner) record(sh *shard, measured, interrupted bool, o Outcome, due, began, end time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := &sh.counts
	switch {
	case interrupted:
		// The generator's own cancellation ended this call; counting it
		// as the plugin's error would be ghz's spurious Unavailable.
		c.Abandoned++
		return
	case !measured:
		c.Warmup++
		return
	}
	lag := began.Sub(due)
	if lag > r.cfg.lateTolerance {
		c.Late++
	}
	c.MaxLag = max(c.MaxLag, lag)
	c.Clamped += recordLatency(sh.corr, end.Sub(due))
	if r.pacer != nil {
		// A closed loop starts each call when it is due: its uncorrected
		// histogram is its corrected one, which flush copies.
		recordLatency(sh.uncorr, end.Sub(began))
	}
	c.record(o)
	if end.After(sh.lastEnd) {
		sh.lastEnd = end
	}
}

// recordLatency records d, clamped into the histogram's range; it returns 1
// when d was clamped.
func recordLatency(h *hdr.Histogram, d time.Duration) int64 {
	var clamped int64
	if d > HighestLatency {
		d, clamped = HighestLatency, 1
	}
	_ = h.RecordValue(max(int64(d), 0))
	return clamped
}

// collect sends an interval every cfg.interval and the final one when the
// callers are done, then closes out.
func (r *runner) collect(out chan<- *Interval, workersDone <-chan struct{}) {
	defer close(out)
	r.last = r.start
	ticker := time.NewTicker(r.cfg.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			out <- r.flush(false)
		case <-workersDone:
			out <- r.flush(true)
			return
		}
	}
}

func (r *runner) flush(final bool) *Interval {
	now := time.Now()
	iv := &Interval{Start: r.last, End: now, Corrected: NewHistogram(), Uncorrected: NewHistogram()}
	iv.Cases = make([]CaseCounts, r.cfg.cases)
	r.last = now
	var lastEnd time.Time
	for _, sh := range r.shards {
		sh.mu.Lock()
		iv.Corrected.Merge(sh.corr)
		if r.pacer != nil {
			iv.Uncorrected.Merge(sh.uncorr)
		} else {
			iv.Uncorrected.Merge(sh.corr)
		}
		sh.corr.Reset()
		sh.uncorr.Reset()
		iv.Counts.Add(&sh.counts)
		sh.counts.reset()
		if sh.lastEnd.After(lastEnd) {
			lastEnd = sh.lastEnd
		}
		sh.mu.Unlock()
	}
	if !final {
		return iv
	}
	iv.Final = true
	iv.Stop = StopReason(r.reason.Load())
	iv.MeasureStart = r.measureStart
	iv.MeasureEnd = lastEnd
	iv.MaxInFlight = int(r.maxInFlight.Load())
	if r.pacer != nil && iv.Stop == ReasonDuration {
		// An open loop's measured window is its schedule: calls are sent
		// over the duration, so the achieved rate is theirs over it. The
		// calls still in flight at the deadline finish and are measured,
		// but their latency, already in the histograms, does not stretch
		// the window and make a slow plugin look like a slow generator.
		iv.MeasureEnd = r.deadline
		if due := dueBefore(r.pacer, r.deadline.Sub(r.start)); due > r.issued.Load() {
			iv.Unsent = due - r.issued.Load()
		}
	}
	return iv
}
