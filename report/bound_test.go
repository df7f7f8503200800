package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTextCutsLongPluginTexts renders a report that no suites.Run built,
// with a megabyte in its plugin texts: the text report stays small.
func TestTextCutsLongPluginTexts(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("e", 1<<20)
	rep := &Report{Runs: []*Run{{Module: "auth", Transport: "http", Cases: []*Case{{
		ID: "s/http/c", Status: Fail,
		Steps: []*Step{{
			Status:      Fail,
			Checks:      []Check{{Name: "reply", Status: Fail, Message: big}},
			Observation: Observation{Method: "POST", Sent: true, Failure: "decode", Error: big, Reply: big},
		}},
	}}}}}
	rep.Finish()
	for _, verbose := range []bool{false, true} {
		var out bytes.Buffer
		render, err := RendererFor("text", TextOptions{Verbose: verbose})
		require.NoError(t, err)
		require.NoError(t, render(&out, rep))
		assert.Less(t, out.Len(), 64<<10, "verbose %v", verbose)
		assert.Contains(t, out.String(), "bytes more)")
	}
}
