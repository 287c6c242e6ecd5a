package fake_test

import (
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/fake"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	c := fake.NewClock(t0)
	if got := c.Now(); !got.Equal(t0) || got.Location() != time.UTC {
		t.Fatalf("Now() = %v, want %v in UTC", got, t0)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Add(time.Second) })
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("after ten concurrent seconds Now() = %v, want %v", got, t0.Add(10*time.Second))
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("after Set, Now() = %v, want %v", got, t0)
	}
}

func TestStepClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := fake.NewStepClock(t0)
	a, b := c.Now(), c.Now()
	if !a.Equal(t0.Add(time.Microsecond)) || !b.Equal(t0.Add(2*time.Microsecond)) {
		t.Fatalf("readings %v, %v; want a microsecond apart from %v", a, b, t0)
	}
}
