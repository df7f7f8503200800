package browsertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOpenSeesErrors checks the helper itself: a page that logs an error,
// throws, or fails to load a resource is caught, a clean page is not.
func TestOpenSeesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{name: "clean", body: `<p id="x">ok</p><script>console.log("fine")</script>`},
		{name: "console error", body: `<script>console.error("boom-console")</script>`, want: "boom-console"},
		{name: "uncaught exception", body: `<script>throw new Error("boom-throw")</script>`, want: "boom-throw"},
		{name: "missing resource", body: `<img src="missing-image.png">`, want: "missing-image.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "page.html")
			assert.NoError(t, os.WriteFile(file, []byte("<!DOCTYPE html><html><body>"+tt.body+"</body></html>"), 0o644))
			p := Open(t, file)
			// The page's script ran before WaitReady returned, but its
			// events may still be on their way: round trips through the
			// tab (bounded) let them arrive without a sleep.
			var errs string
			for i := 0; i < 50; i++ {
				assert.Equal(t, 1, p.Count("body"))
				errs += strings.Join(p.TakeErrors(), "\n")
				if tt.want != "" && strings.Contains(errs, tt.want) {
					break
				}
			}
			if tt.want == "" {
				assert.Empty(t, errs)
			} else {
				assert.Contains(t, errs, tt.want)
			}
		})
	}
}
