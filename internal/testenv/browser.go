package testenv

import (
	"os"
	"testing"
)

// Chromium returns the path of the headless browser the site's tests
// drive, Debian's chromium as `make test` installs it.
func Chromium(tb testing.TB) string {
	tb.Helper()
	return Env(tb, "PRIZES_TEST_CHROMIUM")
}

// Axe returns the source of axe-core, the accessibility checker the site's
// tests inject into pages, or "" when `make test` could not install it (no
// npm), in which case the caller says so and checks nothing.
func Axe(tb testing.TB) string {
	tb.Helper()
	path := os.Getenv("PRIZES_TEST_AXE")
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read axe-core: %v", err)
	}
	return string(b)
}
