package loadtest

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Progress writes one line about a running run to w every interval until ctx
// ends: requests per second over the last interval, the total so far and
// how many failed (non-2xx or no answer).
func Progress(ctx context.Context, w io.Writer, name string, live *Live, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	start := time.Now()
	last, lastAt := live.Done.Load(), start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			done, failed := live.Done.Load(), live.Failed.Load()
			rate := float64(done-last) / now.Sub(lastAt).Seconds()
			fmt.Fprintf(w, "  %-10s %5.0fs %9.0f req/s %11d done %9d failed\n",
				name, now.Sub(start).Seconds(), rate, done, failed)
			last, lastAt = done, now
		}
	}
}
