package testenv

import (
	"os"
	"testing"
)

// Golden compares got with the file at path, kept in a package's testdata,
// so that a change of a rendered page shows in review; with update it
// writes got there first (go test -run X -update).
func Golden(tb testing.TB, path, got string, update bool) {
	tb.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got != string(want) {
		tb.Errorf("the output differs from %s:\n%s", path, got)
	}
}
