package fraudreport_test

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"

	"github.com/wsisvote/prizes/loadtest/fraudreport"
)

var update = flag.Bool("update", false, "write the golden files from the current output")

// TestMarkdown_golden compares the whole report, with every part of a
// page, with the one kept in testdata, so that a change to the layout
// shows in review.
func TestMarkdown_golden(t *testing.T) {
	rep := judge(t, top3, votes(many(6, honest("a1", false)), many(4, honest("a1", true)), many(5, honest("a2", false)),
		many(4, honest("a3", false)), many(3, honest("b4", false)), many(10, attack("a4", false)),
		many(7, attack("b5", true)), many(2, cast{"b6", "honest-campus", true})))
	page := fraudreport.Page{Title: "Judged", Level: 2, Intro: "  Where the votes came from.\n",
		Describe: func(label string) string {
			if label == "farm" {
				return "A farm of bots."
			}
			return ""
		},
		Traffic: "| crowd | votes |\n|---|---|\n| `crowd` | 20 |\n\n"}
	got, err := fraudreport.Markdown(rep, page)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, filepath.Join("testdata", "report.md"), got, *update)
}
