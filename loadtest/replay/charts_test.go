package replay_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest/replay"
)

// readSVG reads a plot WriteFiles wrote, checks that it is well-formed
// XML and returns its text.
func readSVG(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			texts = append(texts, strings.TrimSpace(string(cd)))
		}
	}
	return strings.Join(texts, "\n")
}

func TestWriteFiles_charts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timeline []replay.Sample
		want     []string
	}{
		{"closed loop", []replay.Sample{
			{At: 1, Seconds: 1, AcceptedPerS: 12000, P50: 8, P90: 15, P99: 40},
			{At: 2, Seconds: 1, AcceptedPerS: 14000, P50: 9, P90: 16, P99: 45},
			// A second without answers has no latency: a gap in the lines.
			{At: 3, Seconds: 1},
			{At: 4, Seconds: 1, AcceptedPerS: 13000, P50: 7, P90: 14, P99: 120},
		}, []string{"accepted votes/s", "p50", "p90", "p99", "seconds into the ingest", "votes/s", "milliseconds", "16,000", "1000"}},
		{"open loop", []replay.Sample{
			{At: 1, Seconds: 0.5, Scheduled: 3000, AcceptedPerS: 5900, P50: 2, P90: 3, P99: 5},
			{At: 2, Seconds: 1, Scheduled: 6000, AcceptedPerS: 6000, P50: 2, P90: 3, P99: 6},
		}, []string{"accepted votes/s", "scheduled/s"}},
		{"no samples", nil, []string{"test: accepted votes per second", "test: vote latency per second (log scale)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := replay.WriteFiles(&replay.Report{Scenario: "test", Timeline: tc.timeline}, dir); err != nil {
				t.Fatal(err)
			}
			var all string
			for _, name := range []string{"test-throughput.svg", "test-latency.svg"} {
				all += readSVG(t, filepath.Join(dir, name)) + "\n"
			}
			for _, want := range tc.want {
				if !strings.Contains(all, want) {
					t.Errorf("the plots lack %q:\n%s", want, all)
				}
			}
		})
	}
}
