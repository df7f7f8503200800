package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/plugincheck/plugincheck/internal/load"
)

// refOptions configure `bench ref`.
type refOptions struct {
	transport string // "grpc" or "http"
	addr      string // host:port for gRPC, the URL for HTTP
	rate      float64
	duration  time.Duration
}

// refResult is what the reference client prints: the same latency shape as
// plugincheck's JSON result, summarised by the same histogram code, so that
// both sides' percentiles are the same estimator.
type refResult struct {
	Transport string  `json:"transport"`
	TargetRPS float64 `json:"targetRps"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	// AchievedRPS is calls started over the time the schedule took.
	AchievedRPS float64       `json:"achievedRps"`
	Elapsed     load.Duration `json:"elapsedMs"`
	// MaxInFlight is the most calls that were in flight at once.
	MaxInFlight int64        `json:"maxInFlight"`
	Latency     load.Latency `json:"latency"`
}

// refCallTimeout bounds every call of the reference client, as plugincheck
// bounds its own; no call of a working plugin comes near it.
const refCallTimeout = 30 * time.Second

// ref is the goroutine-per-call reference client of the open-loop and stall
// sections: a send slot every 1/rate s for d; at each slot a new goroutine
// makes the call, with no cap on calls in flight, so no call ever waits for
// the client. Its latency is measured from the call's actual start
// (uncorrected) and from its slot (corrected). It waits with Go timers,
// which wake an idle process with 1 ms resolution, so at 2000/s slots come
// in pairs; latency is measured from each call's own start, so that shifts
// when calls start, not what they measure.
func ref(ctx context.Context, out io.Writer, o refOptions) error {
	call, closeFn, err := newRefCaller(o.transport, o.addr)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, o.duration+refCallTimeout)
	defer cancel()
	// The first call brings the connection up, as every tool's first does.
	if err := call(ctx); err != nil {
		return fmt.Errorf("first call: %w", err)
	}

	var (
		mu            sync.Mutex
		corr, uncorr  = load.NewHistogram(), load.NewHistogram()
		errs          int64
		inFlight, top int64
		wg            sync.WaitGroup
	)
	record := func(due, start, end time.Time, err error) {
		mu.Lock()
		defer mu.Unlock()
		inFlight--
		if err != nil {
			errs++
		}
		_ = corr.RecordValue(int64(end.Sub(due)))
		_ = uncorr.RecordValue(int64(end.Sub(start)))
	}
	interval := time.Duration(float64(time.Second) / o.rate)
	slots := int64(o.rate * o.duration.Seconds())
	timer := time.NewTimer(0)
	defer timer.Stop()
	start := time.Now()
	var i int64
	for i < slots && ctx.Err() == nil {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				continue
			}
		}
		now := time.Now()
		for ; i < slots; i++ {
			due := start.Add(time.Duration(i) * interval)
			if due.After(now) {
				break
			}
			mu.Lock()
			inFlight++
			top = max(top, inFlight)
			mu.Unlock()
			wg.Go(func() {
				s := time.Now()
				err := call(ctx)
				record(due, s, time.Now(), err)
			})
		}
	}
	// The schedule's span: i slots take i intervals, or longer when the
	// last one started late (a slot's span ends one interval after it).
	elapsed := max(time.Duration(i)*interval, time.Since(start)+interval)
	wg.Wait()
	if err := ctx.Err(); err != nil && i < slots {
		return err
	}
	r := refResult{Transport: o.transport, TargetRPS: o.rate, Requests: i, Errors: errs,
		AchievedRPS: float64(i) / elapsed.Seconds(), Elapsed: load.Duration(elapsed), MaxInFlight: top,
		Latency: load.Latency{Corrected: load.Summarize(corr), Uncorrected: load.Summarize(uncorr)}}
	return json.NewEncoder(out).Encode(r)
}

// newRefCaller returns a function making GOST's auth call gost/gost once,
// over grpc-go (one connection, as plugincheck's default) or net/http
// (a pool with no limit on connections, so that no call waits for one).
func newRefCaller(transport, addr string) (func(context.Context) error, func(), error) {
	switch transport {
	case "grpc":
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, nil, fmt.Errorf("grpc client: %w", err)
		}
		stub := authpb.NewAuthenticatorClient(conn)
		return func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, refCallTimeout)
			defer cancel()
			r, err := stub.Authenticate(ctx, &authpb.AuthenticateRequest{Username: "gost", Password: "gost"})
			if err == nil && !r.GetOk() {
				err = errDenied
			}
			return err
		}, func() { _ = conn.Close() }, nil
	case "http":
		tr := &http.Transport{MaxIdleConns: 100000, MaxIdleConnsPerHost: 100000, IdleConnTimeout: time.Minute}
		hc := &http.Client{Transport: tr, Timeout: refCallTimeout}
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, addr, bytes.NewReader(gostAuthBody))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var reply struct {
				OK bool `json:"ok"`
			}
			err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&reply)
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			switch {
			case resp.StatusCode != http.StatusOK:
				return fmt.Errorf("status %d", resp.StatusCode)
			case err != nil:
				return fmt.Errorf("reply: %w", err)
			case !reply.OK:
				return errDenied
			}
			return nil
		}, tr.CloseIdleConnections, nil
	}
	return nil, nil, usageErrorf("-transport %q: want grpc or http", transport)
}
