package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// rawResult is what the raw loop prints.
type rawResult struct {
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	Elapsed  time.Duration `json:"elapsedNs"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50Ns"`
}

// raw is the floor any gRPC load generator is measured against: c
// goroutines on one grpc-go connection calling Authenticate in a loop for d,
// timing each call with time.Now, and nothing else.
func raw(ctx context.Context, out io.Writer, addr string, c int, d time.Duration) error {
	// Bound the run, so a plugin that hangs cannot hold it forever; a
	// per-call deadline would add to the cost this loop is the floor of.
	ctx, cancel := context.WithTimeout(ctx, d+refCallTimeout)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	stub := authpb.NewAuthenticatorClient(conn)
	req := &authpb.AuthenticateRequest{Username: "gost", Password: "gost"}
	// Warm the connection up, as the other tools' first calls do.
	if _, err := stub.Authenticate(ctx, req); err != nil {
		return fmt.Errorf("first call: %w", err)
	}
	var mu sync.Mutex
	var all []time.Duration
	var errs int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<16)
			var e int64
			for time.Now().Before(deadline) {
				t := time.Now()
				if _, err := stub.Authenticate(ctx, req); err != nil {
					e++
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			errs += e
			mu.Unlock()
		})
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(all)
	r := rawResult{Requests: int64(len(all)), Errors: errs, Elapsed: el, RPS: float64(len(all)) / el.Seconds()}
	if len(all) > 0 {
		r.P50 = all[len(all)/2]
	}
	return json.NewEncoder(out).Encode(r)
}
