// Package browsertest opens a file in headless Chromium for tests: the
// HTML report must render, run its script without one console error and
// show its charts in a real browser, which no HTML parser can tell.
//
// It drives Chromium over the DevTools protocol with chromedp, the
// maintained Go client of that protocol; nothing here is built into the
// plugincheck binary.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Timeout bounds everything one page does, generous because the test
// machine is shared and loaded.
const Timeout = 3 * time.Minute

// chromium finds the browser: $CHROMIUM, then Debian's and other names.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Page is one file loaded in its own headless Chromium.
type Page struct {
	t   testing.TB
	ctx context.Context

	mu     sync.Mutex
	errors []string
}

// browsers holds a slot for each Chromium running; see Open.
var browsers = make(chan struct{}, 1)

// Open starts Chromium with a fresh profile, loads file and waits for its
// body. Without Chromium the test is skipped, except under CI ($CI set),
// where it fails: CI installs Chromium, so its absence is a broken setup.
// Any console error, uncaught exception or failed load seen while the
// test runs fails it at cleanup.
func Open(t testing.TB, file string) *Page {
	t.Helper()
	bin := chromium()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found and $CI is set: install it (apt-get install chromium) or set $CHROMIUM")
		}
		t.Skip("chromium not found; install it or set $CHROMIUM to run the browser test")
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	// One Chromium at a time per test binary: each is a few processes and
	// hundreds of MiB, and on CI's two cores, shared with the other
	// packages' tests, several at once starved their loopback calls.
	// The slot is held until the test ends: a test opens one page.
	browsers <- struct{}{}
	t.Cleanup(func() { <-browsers })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	p := &Page{t: t, ctx: bctx}
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errors {
			t.Errorf("browser: %s", e)
		}
	})
	// chromedp enables the Runtime and Log domains of every tab, so
	// console calls, exceptions and failed loads all arrive here.
	err = chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				p.add(fmt.Sprintf("console.%s %v", ev.Type, args))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.add("uncaught exception: " + msg)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				p.add(fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Do(bctx,
		chromedp.Navigate("file://"+abs),
		chromedp.WaitReady(chromedp.CSS("body")),
	); err != nil {
		t.Fatalf("open %s in chromium: %v", file, err)
	}
	return p
}

func (p *Page) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errors) < 20 {
		p.errors = append(p.errors, s)
	}
}

// TakeErrors returns the console errors, exceptions and failed loads seen
// so far and forgets them, for a test that expects some.
func (p *Page) TakeErrors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.errors
	p.errors = nil
	return e
}

// Count returns how many elements match the CSS selector.
func (p *Page) Count(selector string) int {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
	p.check(err)
	return n
}

// String evaluates a JavaScript expression whose value is a string.
func (p *Page) String(expr string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	p.check(err)
	return s
}

// Do runs actions on the page, such as a click.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.check(chromedp.Do(p.ctx, actions...))
}

// Text returns the text of the whole page as rendered.
func (p *Page) Text() string {
	p.t.Helper()
	return p.String("document.body.innerText")
}

// Screenshot writes a PNG of the top of the page, width by height pixels:
// what a reader sees on opening it.
func (p *Page) Screenshot(path string, width, height int64) {
	p.t.Helper()
	p.check(chromedp.Do(p.ctx, chromedp.EmulateViewport(width, height)))
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	p.check(err)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *Page) check(err error) {
	p.t.Helper()
	if err != nil {
		p.t.Fatalf("chromium: %v", err)
	}
}
