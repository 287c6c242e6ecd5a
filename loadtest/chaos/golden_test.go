package chaos_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"

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
	testenv.Golden(t, filepath.Join("testdata", "chaos.md"), got, *update)
}
