package load_test

import (
	"context"
	"fmt"

	"github.com/plugincheck/plugincheck/internal/load"
)

// ExampleRun makes 100 calls at 1000 a second and adds up what they did.
func ExampleRun() {
	call := func(ctx context.Context, n uint64) load.Outcome {
		return load.Outcome{Verdict: `{"ok":true}`}
	}
	ivs, err := load.Run(context.Background(), call, load.ConstantPacer{Rate: 1000},
		load.WithRequests(100), load.WithConcurrency(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := load.NewMetrics()
	for iv := range ivs { // read to the end: the run closes the channel
		m.Add(iv)
	}
	fmt.Println(m.Requests, m.Errors, m.Verdicts[`{"ok":true}`], m.Stop)
	// Output:
	// 100 0 100 requests
}
