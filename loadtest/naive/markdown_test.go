package naive_test

import (
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest/naive"
)

func TestReplaceSection(t *testing.T) {
	page := "# Benchmarks\n\n<!-- bench:begin -->\nbench\n<!-- bench:end -->\n\n## Mine\n"
	once := naive.ReplaceSection(page, "first figures\n")
	if !strings.HasPrefix(once, page) || !strings.Contains(once, naive.BeginMarker+"\nfirst figures\n"+naive.EndMarker+"\n") {
		t.Fatalf("first write:\n%s", once)
	}
	twice := naive.ReplaceSection(once+"\nkept after\n", "second figures")
	if strings.Contains(twice, "first figures") || !strings.Contains(twice, "second figures") ||
		!strings.HasSuffix(twice, "\nkept after\n") || !strings.HasPrefix(twice, page) {
		t.Fatalf("second write:\n%s", twice)
	}
	if strings.Count(twice, naive.BeginMarker) != 1 {
		t.Fatalf("markers repeated:\n%s", twice)
	}
}
