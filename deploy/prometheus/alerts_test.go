// Package prometheus_test checks the alert rules in this folder: promtool
// validates them and runs their unit tests (alerts_test.yml), and every
// metric they name must be one prizes exports.
package prometheus_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"
	prom "github.com/wsisvote/prizes/voting/prometheus"
)

// TestAlerts_promtool: `promtool check rules` accepts the rules and `promtool
// test rules` passes their unit tests, which fire each alert on series that
// should and keep it quiet on series that should not.
func TestAlerts_promtool(t *testing.T) {
	promtool := testenv.Env(t, "PRIZES_TEST_PROMTOOL")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// metricName finds the metric names in the rules: the service's own and the
// Go and process collectors'.
var metricName = regexp.MustCompile(`\b(?:prizes|go|process)_[a-z0-9_]+\b`)

// TestAlerts_metricsExist fails when a rule names a metric prizes does not
// export, as after a rename: the alert would never fire, silently.
func TestAlerts_metricsExist(t *testing.T) {
	b, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	exported, err := prom.SeriesNames()
	if err != nil {
		t.Fatal(err)
	}
	names := metricName.FindAllString(string(b), -1)
	if len(names) < 8 {
		t.Fatalf("the rules name %d metrics: %v", len(names), names)
	}
	for _, n := range names {
		if !exported[n] {
			t.Errorf("alerts.yml names %s, which prizes does not export", n)
		}
	}
}

// TestAlerts_inRunbook: every alert has its section in docs/runbook.md,
// where whoever is paged reads what it means and what to do.
func TestAlerts_inRunbook(t *testing.T) {
	rules, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	book, err := os.ReadFile("../../docs/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	alerts := regexp.MustCompile(`(?m)^\s*- alert: (\w+)`).FindAllStringSubmatch(string(rules), -1)
	if len(alerts) == 0 {
		t.Fatal("no alert in alerts.yml")
	}
	for _, a := range alerts {
		if !strings.Contains(string(book), "### "+a[1]) {
			t.Errorf("docs/runbook.md has no section ### %s", a[1])
		}
	}
}
