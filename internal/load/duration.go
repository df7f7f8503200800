package load

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Duration is a time.Duration that appears in JSON as fractional
// milliseconds, rounded to the microsecond: the encoding of every duration
// in plugincheck's JSON, so load results and reports read alike and merge
// reads what load wrote.
type Duration time.Duration

// MarshalJSON renders the duration as fractional milliseconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	ms := float64(d) / float64(time.Millisecond)
	return json.Marshal(math.Round(ms*1000) / 1000)
}

// UnmarshalJSON reads fractional milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// String formats like time.Duration, rounded for people.
func (d Duration) String() string {
	t := time.Duration(d)
	switch {
	case t >= time.Second:
		return t.Round(time.Millisecond).String()
	case t >= time.Millisecond:
		return t.Round(10 * time.Microsecond).String()
	default:
		return t.Round(time.Microsecond).String()
	}
}
