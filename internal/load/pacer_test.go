package load

import (
	"testing"
	"time"
)

func TestConstantPacerDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rate   float64
		n      uint64
		want   time.Duration
		wantOK bool
	}{
		// happy
		{name: "first call at once", rate: 100, n: 0, want: 0, wantOK: true},
		{name: "tenth call", rate: 100, n: 10, want: 100 * time.Millisecond, wantOK: true},
		{name: "fractional rate", rate: 0.5, n: 3, want: 6 * time.Second, wantOK: true},
		{name: "high rate", rate: 1e6, n: 1, want: time.Microsecond, wantOK: true},
		// sad
		{name: "zero rate", rate: 0, n: 1},
		{name: "negative rate", rate: -1, n: 1},
		{name: "beyond int64 nanoseconds", rate: 1e-9, n: 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ConstantPacer{Rate: tt.rate}.Due(tt.n)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Due(%d) = %v, %v; want %v, %v", tt.n, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDueBefore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Pacer
		end  time.Duration
		want uint64
	}{
		{name: "one second at 100/s", p: ConstantPacer{Rate: 100}, end: time.Second, want: 100},
		{name: "slot on the end is outside", p: ConstantPacer{Rate: 10}, end: 200 * time.Millisecond, want: 2},
		{name: "just past a slot", p: ConstantPacer{Rate: 10}, end: 200*time.Millisecond + 1, want: 3},
		{name: "empty window", p: ConstantPacer{Rate: 10}, end: 0, want: 0},
		{name: "no schedule", p: ConstantPacer{}, end: time.Second, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := dueBefore(tt.p, tt.end); got != tt.want {
				t.Errorf("dueBefore(%v) = %d; want %d", tt.end, got, tt.want)
			}
		})
	}
}
