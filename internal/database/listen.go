package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Listen holds one connection of pool in LISTEN on channel and signals wake
// on every notification, and once after each (re)connection, since
// notifications may have been missed in between; a signal already pending
// is enough. It returns when ctx ends. Errors go to onErr, when set,
// translated, and the connection is tried again a second later. The
// connection leaves the pool for good: a LISTENing session must not be
// handed to other queries.
func Listen(ctx context.Context, pool *pgxpool.Pool, channel string, wake chan<- struct{}, onErr func(error)) {
	signal := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	for ctx.Err() == nil {
		err := func() error {
			pooled, err := pool.Acquire(ctx)
			if err != nil {
				return err
			}
			conn := pooled.Hijack()
			defer conn.Close(context.WithoutCancel(ctx))
			if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
				return err
			}
			signal()
			for {
				if _, err := conn.WaitForNotification(ctx); err != nil {
					return err
				}
				signal()
			}
		}()
		if ctx.Err() != nil {
			return
		}
		if onErr != nil {
			onErr(fmt.Errorf("listen on %s: %w", channel, Translate(err)))
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
