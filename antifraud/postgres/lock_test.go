package postgres_test

import (
	"context"
	"testing"
)

// TestStore_WithAnalysisLock: while one run holds an edition's lock, another
// for the same edition does not run, one for another edition does, and once
// the first is over the lock can be taken again.
func TestStore_WithAnalysisLock(t *testing.T) {
	f := newFixture(t)
	ran := func(edition string, fn func(context.Context) error) bool {
		t.Helper()
		ok, err := f.fraud.WithAnalysisLock(f.ctx, edition, fn)
		if err != nil {
			t.Fatalf("lock %s: %v", edition, err)
		}
		return ok
	}
	nothing := func(context.Context) error { return nil }
	outer := ran(f.edition, func(context.Context) error {
		if ran(f.edition, nothing) {
			t.Error("a second run of the same edition ran while the first held the lock")
		}
		if !ran("other", nothing) {
			t.Error("a run of another edition did not run")
		}
		return nil
	})
	if !outer {
		t.Fatal("the first run did not run")
	}
	if !ran(f.edition, nothing) {
		t.Error("the lock was not released when the first run ended")
	}
}
