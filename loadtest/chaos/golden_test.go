package chaos_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/wsisvote/prizes/loadtest/chaos"
)

var update = flag.Bool("update", false, "write the golden files from the current output")

// TestMarkdown_golden compares the whole page with the one kept in
// testdata, so that a change to the layout shows in review.
func TestMarkdown_golden(t *testing.T) {
	r := report()
	r.Settings.ServeEnv = []string{"PRIZES_A=1", "PRIZES_B=2"}
	r.Problems = []string{"stop redis:\n  timeout"}
	got, err := chaos.Markdown(r)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "chaos.md")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the page differs from %s:\n%s", path, got)
	}
}
