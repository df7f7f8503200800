package load

import (
	"errors"
	"fmt"
	"io"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Tags of the two histograms in an HDR histogram log.
const (
	TagCorrected   = "corrected"
	TagUncorrected = "uncorrected"
)

// LogWriter writes intervals as an HDR histogram log (format version 1.3,
// V2-compressed histograms), one line per interval and tag. Any
// HdrHistogram tool reads it (HistogramLogProcessor, HdrHistogramVisualizer).
type LogWriter struct {
	w      *hdr.HistogramLogWriter
	header bool
	start  time.Time
}

// NewLogWriter returns a LogWriter for a run that started at start.
func NewLogWriter(w io.Writer, start time.Time) *LogWriter {
	return &LogWriter{w: hdr.NewHistogramLogWriter(w), start: start}
}

// Write appends the histograms of iv.
func (l *LogWriter) Write(iv *Interval) error {
	if !l.header {
		l.header = true
		if err := l.writeHeader(); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		tag string
		h   *hdr.Histogram
	}{{TagCorrected, iv.Corrected}, {TagUncorrected, iv.Uncorrected}} {
		t.h.SetTag(t.tag)
		t.h.SetStartTimeMs(iv.Start.UnixMilli())
		t.h.SetEndTimeMs(iv.End.UnixMilli())
		if err := l.w.OutputIntervalHistogram(t.h); err != nil {
			return fmt.Errorf("write histogram log: %w", err)
		}
	}
	return nil
}

func (l *LogWriter) writeHeader() error {
	return errors.Join(
		l.w.OutputComment("plugincheck load: latency in nanoseconds; Tag=corrected from each call's send slot, Tag=uncorrected from its actual start"),
		l.w.OutputLogFormatVersion(),
		l.w.OutputStartTime(l.start.UnixMilli()),
		l.w.OutputLegend(),
	)
}

// ReadLog reads an HDR histogram log and adds every interval histogram to m
// by tag: corrected ones to m.Corrected, uncorrected ones to m.Uncorrected,
// and untagged ones (logs written by other tools) to both. It returns the
// number of interval histograms read.
func ReadLog(r io.Reader, m *Metrics) (int, error) {
	lr := hdr.NewHistogramLogReader(r)
	n := 0
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return n, fmt.Errorf("read histogram log: %w", err)
		}
		if h == nil {
			return n, nil
		}
		n++
		switch h.Tag() {
		case TagCorrected:
			m.Dropped += m.Corrected.Merge(h)
		case TagUncorrected:
			m.Dropped += m.Uncorrected.Merge(h)
		default:
			m.Dropped += m.Corrected.Merge(h)
			m.Dropped += m.Uncorrected.Merge(h)
		}
		start := time.UnixMilli(h.StartTimeMs())
		end := time.UnixMilli(h.EndTimeMs())
		if h.StartTimeMs() > 0 {
			// A log's times come from a file; a span no clock writes
			// (beyond year 9999, or ending before it starts) would make
			// the merged result unrenderable.
			if end.Year() > 9999 || end.Before(start) {
				return n, fmt.Errorf("read histogram log: interval %d spans %d ms to %d ms since 1970, which no load run writes", n, h.StartTimeMs(), h.EndTimeMs())
			}
			m.widen(start, end)
		}
	}
}
