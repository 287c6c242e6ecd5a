// Package grafana_test checks the Grafana dashboard in this folder against
// the metrics prizes exports.
package grafana_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	prom "github.com/wsisvote/prizes/voting/prometheus"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// metricName finds the metric names in a PromQL expression: the service's
// own and the Go and process collectors' it registers beside them.
var metricName = regexp.MustCompile(`\b(?:prizes|go|process)_[a-z0-9_]+\b`)

// TestDashboard_metricsExist fails when a panel queries a metric that prizes
// does not export, as after a metric is renamed: the panel would go blank
// without an error anywhere.
func TestDashboard_metricsExist(t *testing.T) {
	b, err := os.ReadFile("prizes.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("prizes.json: %v", err)
	}
	if d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("prizes.json has uid %q and %d panels", d.UID, len(d.Panels))
	}
	exported := exportedNames(t)
	queried := 0
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, target := range p.Targets {
			names := metricName.FindAllString(target.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: no metric in %q", p.Title, target.Expr)
			}
			for _, n := range names {
				queried++
				if !exported[n] {
					t.Errorf("panel %q queries %s, which prizes does not export", p.Title, n)
				}
			}
		}
	}
	if queried == 0 {
		t.Fatal("the dashboard queries no metric")
	}
}

// exportedNames returns every series name prizes serve's registry exports.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	out, err := prom.SeriesNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"prizes_votes_total", "prizes_flush_lag_seconds_bucket", "process_cpu_seconds_total", "go_goroutines"} {
		if !out[want] {
			t.Fatalf("the registry lacks %s", want)
		}
	}
	return out
}
