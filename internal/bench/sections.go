package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Targets of issue 11, item 6 and its done-when. They are the issue's
// figures; the benchmark prints each beside what it measured.
const (
	grpcOverGhz       = 2.0  // plugincheck calls/s ≥ 2× ghz's
	grpcOverRaw       = 0.95 // plugincheck calls/s ≥ 0.95× the bare grpc-go loop's
	httpOverWrk       = 0.8  // plugincheck calls/s ≥ 0.8× wrk's
	httpOverVegeta    = 1.5  // plugincheck calls/s ≥ 1.5× vegeta's
	httpCPUOverWrk    = 1.5  // plugincheck client CPU per call ≤ 1.5× wrk's
	openOverRef       = 1.10 // uncorrected p50 and p99 ≤ 1.10× the reference client's
	stallRateShare    = 0.995
	stallP99Slack     = 60 * time.Millisecond // corrected p99 in [stall, stall+60 ms]
	peakRSSLimit      = 64 << 20
	flatRSSMaxOverMin = 1.10
)

func (e *env) rounds(what string, i int) {
	e.logf("%s: round %d of %d", what, i+1, e.o.rounds)
}

// grpcSection: closed loop, one connection, -c 16: plugincheck against ghz
// and the bare grpc-go loop, in alternated rounds.
func (e *env) grpcSection(ctx context.Context) error {
	o, addr := e.o, e.plugin.grpc
	e.logf("gRPC: warming the plugin up for %s", warmup)
	if _, err := e.runRaw(ctx, addr, o.concurrency, warmup); err != nil {
		return err
	}
	var pcs, ghzs, raws []measurement
	c := strconv.Itoa(o.concurrency)
	for i := range o.rounds {
		e.rounds(fmt.Sprintf("gRPC: plugincheck, ghz, raw loop, -c %d, %s each", o.concurrency, o.duration), i)
		pc, err := e.runPlugincheck(ctx, "plugincheck", addr, "-c", c, "-d", o.duration.String())
		if err != nil {
			return err
		}
		ghz, err := e.runGhz(ctx, addr, o.concurrency, o.duration)
		if err != nil {
			return err
		}
		raw, err := e.runRaw(ctx, addr, o.concurrency, o.duration)
		if err != nil {
			return err
		}
		pcs, ghzs, raws = append(pcs, pc), append(ghzs, ghz), append(raws, raw)
	}
	pc, ghz, raw := median(pcs), median(ghzs), median(raws)
	fmt.Fprintf(e.out, "\n== grpc: closed loop, auth plugin (internal/refplugin) at %s, -c %d, one connection, %s, %d rounds\n",
		addr, o.concurrency, o.duration, o.rounds)
	cols := []column{colRequests, colErrors, colRPS, colP50, colCPU, colRSS}
	printTable(e.out, "round", interleave(pcs, ghzs, raws), cols...)
	printTable(e.out, "median round (by calls/s)", []measurement{pc, ghz, raw}, cols...)
	e.checks = append(e.checks,
		ratioCheck("grpc", "calls/s plugincheck / ghz", pc.rps, ghz.rps, grpcOverGhz, true, rates(pc, ghz)),
		ratioCheck("grpc", "calls/s plugincheck / bare grpc-go loop", pc.rps, raw.rps, grpcOverRaw, true, rates(pc, raw)))
	return nil
}

// httpSection: closed loop, -c 50, against the minimal HTTP plugin:
// plugincheck against wrk and vegeta, rate and client CPU per call.
func (e *env) httpSection(ctx context.Context) error {
	o := e.o
	names := []string{"calls/s plugincheck / wrk", "calls/s plugincheck / vegeta", "CPU per call plugincheck / wrk"}
	if e.wrk == "" {
		fmt.Fprintf(e.out, "\n== http: SKIPPED: wrk is not installed (apt-get install wrk)\n")
		targets := []string{"≥ " + fmtRatio(httpOverWrk), "≥ " + fmtRatio(httpOverVegeta), "≤ " + fmtRatio(httpCPUOverWrk)}
		for i, n := range names {
			e.checks = append(e.checks, check{section: "http", name: n, figure: "-", target: targets[i],
				skipped: "wrk not found", detail: "not measured: wrk is not installed"})
		}
		return nil
	}
	url := e.httpURL(e.plugin)
	e.logf("HTTP: warming the plugin up for %s", warmup)
	if _, err := e.runWrk(ctx, url, o.httpC, warmup); err != nil {
		return err
	}
	var pcs, wrks, vegs []measurement
	c := strconv.Itoa(o.httpC)
	for i := range o.rounds {
		e.rounds(fmt.Sprintf("HTTP: plugincheck, wrk, vegeta, -c %d, %s each", o.httpC, o.duration), i)
		pc, err := e.runPlugincheck(ctx, "plugincheck", url, "-c", c, "-d", o.duration.String())
		if err != nil {
			return err
		}
		wrk, err := e.runWrk(ctx, url, o.httpC, o.duration)
		if err != nil {
			return err
		}
		veg, err := e.runVegeta(ctx, url, o.httpC, o.duration)
		if err != nil {
			return err
		}
		pcs, wrks, vegs = append(pcs, pc), append(wrks, wrk), append(vegs, veg)
	}
	pc, wrk, veg := median(pcs), median(wrks), median(vegs)
	cpu := func(m measurement) float64 { return float64(m.cpuPerCall()) }
	pcCPU, wrkCPU := medianBy(pcs, cpu), medianBy(wrks, cpu)
	fmt.Fprintf(e.out, "\n== http: closed loop, %s HTTP auth plugin at %s, -c %d (wrk -t2), %s, %d rounds\n",
		e.o.httpPlugin, url, o.httpC, o.duration, o.rounds)
	cols := []column{colRequests, colErrors, colRPS, colP50, colP99, colCPU, colRSS}
	printTable(e.out, "round", interleave(pcs, wrks, vegs), cols...)
	printTable(e.out, "median round (by calls/s)", []measurement{pc, wrk, veg}, cols...)
	e.checks = append(e.checks,
		ratioCheck("http", names[0], pc.rps, wrk.rps, httpOverWrk, true, rates(pc, wrk)),
		ratioCheck("http", names[1], pc.rps, veg.rps, httpOverVegeta, true, rates(pc, veg)),
		ratioCheck("http", names[2], cpu(pcCPU), cpu(wrkCPU), httpCPUOverWrk, false,
			fmt.Sprintf("%s vs %s (median rounds by CPU/call)", fmtDur(pcCPU.cpuPerCall()), fmtDur(wrkCPU.cpuPerCall()))))
	return nil
}

// openSection: open loop at -rate against the fast plugins, plugincheck
// (no -c) against the goroutine-per-call reference client, gRPC and HTTP.
func (e *env) openSection(ctx context.Context) error {
	o := e.o
	ms, err := e.openRounds(ctx, "open loop", e.plugin.grpc, e.httpURL(e.plugin))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\n== open: open loop at %g calls/s, %s, plugincheck without -c against a goroutine-per-call client, %d rounds\n",
		o.rate, o.duration, o.rounds)
	for _, t := range ms {
		cols := []column{colRequests, colErrors, colRPS, colP50, colP99, colCP99, colUnsent, colCPU}
		printTable(e.out, t.transport+": round", interleave(t.pc, t.ref), cols...)
		p50 := func(m measurement) float64 { return float64(m.p50) }
		p99 := func(m measurement) float64 { return float64(m.p99) }
		pc50, ref50 := medianBy(t.pc, p50), medianBy(t.ref, p50)
		pc99, ref99 := medianBy(t.pc, p99), medianBy(t.ref, p99)
		e.checks = append(e.checks,
			durationRatio("open", t.transport+" uncorrected p50 plugincheck / reference", pc50.p50, ref50.p50, openOverRef),
			durationRatio("open", t.transport+" uncorrected p99 plugincheck / reference", pc99.p99, ref99.p99, openOverRef))
	}
	return nil
}

// transportRounds are one transport's rounds of plugincheck and the
// reference client.
type transportRounds struct {
	transport string
	pc, ref   []measurement
}

// openRounds runs plugincheck (open loop, no -c) and the reference client
// at the same rate, over gRPC and HTTP, in alternated rounds.
func (e *env) openRounds(ctx context.Context, what, grpcAddr, httpURL string) ([]transportRounds, error) {
	o := e.o
	ts := []transportRounds{{transport: "grpc"}, {transport: "http"}}
	addrs := []string{grpcAddr, httpURL}
	rate := strconv.FormatFloat(o.rate, 'f', -1, 64)
	for i := range o.rounds {
		e.rounds(fmt.Sprintf("%s: plugincheck --rate %s and the reference client, gRPC and HTTP, %s each", what, rate, o.duration), i)
		for k := range ts {
			pc, err := e.runPlugincheck(ctx, "plugincheck "+ts[k].transport, addrs[k], "--rate", rate, "-d", o.duration.String())
			if err != nil {
				return nil, err
			}
			ref, err := e.runRef(ctx, ts[k].transport, addrs[k], o.rate, o.duration)
			if err != nil {
				return nil, err
			}
			ts[k].pc, ts[k].ref = append(ts[k].pc, pc), append(ts[k].ref, ref)
		}
	}
	return ts, nil
}

// stallSection: a plugin whose every 10th call stalls 200 ms; plugincheck
// --rate 2000 without -c must keep the rate with a corrected p99 of the
// stall, as a client with no cap on calls in flight sees it.
func (e *env) stallSection(ctx context.Context) error {
	o := e.o
	p, stop, err := e.startPlugin(ctx, serveOptions{stallEvery: o.stallEvery, stall: o.stall})
	if err != nil {
		return err
	}
	defer stop()
	ts, err := e.openRounds(ctx, "stall", p.grpc, p.http)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\n== stall: every %dth call stalls %s; open loop at %g calls/s, %s, plugincheck without -c, %d rounds\n",
		o.stallEvery, o.stall, o.rate, o.duration, o.rounds)
	minRate := stallRateShare * o.rate
	lo, hi := o.stall, o.stall+stallP99Slack
	for _, t := range ts {
		cols := []column{colRequests, colErrors, colRPS, colP50, colP99, colCP50, colCP99, colUnsent}
		printTable(e.out, t.transport+": round", interleave(t.pc, t.ref), cols...)
		cp99 := func(m measurement) float64 { return float64(m.cp99) }
		pc, ref := median(t.pc), medianBy(t.ref, cp99)
		pcP99 := medianBy(t.pc, cp99)
		e.checks = append(e.checks,
			check{section: "stall", name: t.transport + " calls/s plugincheck", figure: fmt.Sprintf("%.0f", pc.rps),
				target: fmt.Sprintf("≥ %.0f/s", minRate), ok: pc.rps >= minRate,
				detail: fmt.Sprintf("unsent %d; reference %.0f/s", pc.unsent, median(t.ref).rps)},
			check{section: "stall", name: t.transport + " corrected p99 plugincheck", figure: fmtDur(pcP99.cp99),
				target: fmt.Sprintf("%s–%s", fmtDur(lo), fmtDur(hi)), ok: pcP99.cp99 >= lo && pcP99.cp99 <= hi,
				detail: fmt.Sprintf("reference p99 %s corrected, %s uncorrected", fmtDur(ref.cp99), fmtDur(ref.p99))})
	}
	return nil
}

// memorySection: peak RSS of plugincheck load at -c 1000 over gRPC and
// HTTP, and at 1 M and 10 M requests over gRPC (flat in the count).
func (e *env) memorySection(ctx context.Context) error {
	o := e.o
	var wide []measurement
	for _, t := range []struct{ name, addr string }{{"grpc", e.plugin.grpc}, {"http", e.httpURL(e.plugin)}} {
		e.logf("memory: plugincheck load -c %d over %s for %s", o.memC, t.name, o.duration)
		m, err := e.runPlugincheck(ctx, fmt.Sprintf("plugincheck %s -c %d", t.name, o.memC), t.addr,
			"-c", strconv.Itoa(o.memC), "-d", o.duration.String())
		if err != nil {
			return err
		}
		wide = append(wide, m)
	}
	counts, err := parseCounts(o.rss)
	if err != nil {
		return err
	}
	var long []measurement
	for _, n := range counts {
		e.logf("memory: plugincheck load -n %d -c %d over grpc", n, o.concurrency)
		m, err := e.runPlugincheck(ctx, fmt.Sprintf("plugincheck grpc -n %s", human(n)), e.plugin.grpc,
			"-c", strconv.Itoa(o.concurrency), "-n", strconv.FormatInt(n, 10))
		if err != nil {
			return err
		}
		long = append(long, m)
	}
	fmt.Fprintf(e.out, "\n== memory: peak RSS (VmHWM, read every 20 ms) of plugincheck load\n")
	printTable(e.out, "run", append(append([]measurement{}, wide...), long...), colRequests, colErrors, colRPS, colRSS, colElapsed)
	for _, m := range append(append([]measurement{}, wide...), long...) {
		e.checks = append(e.checks, check{section: "memory", name: "peak RSS " + m.tool, figure: mib(m.maxRSS),
			target: "< 64 MiB", ok: m.maxRSS > 0 && m.maxRSS < peakRSSLimit})
	}
	if len(long) > 1 {
		e.checks = append(e.checks, flatCheck(long))
	}
	return nil
}

// flatCheck checks that the largest peak is within 10% of the smallest.
func flatCheck(ms []measurement) check {
	lo, hi := ms[0].maxRSS, ms[0].maxRSS
	for _, m := range ms {
		lo, hi = min(lo, m.maxRSS), max(hi, m.maxRSS)
	}
	c := ratioCheck("memory", "peak RSS max / min over the -n runs", float64(hi), float64(lo), flatRSSMaxOverMin, false,
		fmt.Sprintf("%s vs %s", mib(hi), mib(lo)))
	return c
}

// parseCounts reads the -rss request counts ("1e6,1e7" or "1000000").
func parseCounts(s string) ([]int64, error) {
	var ns []int64
	for _, f := range splitList(s) {
		n, err := strconv.ParseFloat(f, 64)
		if err != nil || n < 1 || n > 1e12 {
			return nil, usageErrorf("-rss %q: want request counts such as 1e6,1e7", s)
		}
		ns = append(ns, int64(n))
	}
	return ns, nil
}

func rates(a, b measurement) string {
	return fmt.Sprintf("%.0f vs %.0f calls/s", a.rps, b.rps)
}

// interleave lists round i of every tool before round i+1, labelled with
// the round number.
func interleave(tools ...[]measurement) []measurement {
	var out []measurement
	for i := range tools[0] {
		for _, t := range tools {
			if i < len(t) {
				m := t[i]
				m.tool = fmt.Sprintf("%d %s", i+1, m.tool)
				out = append(out, m)
			}
		}
	}
	return out
}

func human(n int64) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.FormatInt(n, 10)
}
