package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/wsisvote/prizes/identity"
)

// Observer is told what the worker did, for metrics. Every method must be
// safe for concurrent use.
type Observer interface {
	// Delivered counts a message sent (or skipped: no recipient).
	Delivered(k Kind, skipped bool)
	// DeliveryFailed counts a failed attempt.
	DeliveryFailed(k Kind)
}

// Worker delivers the outbox's due messages. Several workers, in one
// process or on several nodes, may run at once: each message is claimed by
// one of them for a lease, so it is sent once unless a worker dies between
// sending it and marking it sent; its Message-ID, derived from the outbox
// id, then shows the second copy for what it is.
type Worker struct {
	Outbox Outbox
	Mailer Mailer
	// Render turns a message into mail; (*Renderer).Render is one.
	Render func(Message) (identity.Message, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Jitter returns a random duration in [0, d) (math/rand when nil).
	Jitter func(d time.Duration) time.Duration
	// Batch is how many messages one claim takes (20 when zero).
	Batch int
	// Lease is how long a claimed message is left to its worker before
	// another may take it (2 minutes when zero). It must be longer than a
	// delivery's timeout.
	Lease time.Duration
	// Backoff is the delay after a first failure (30 seconds when zero);
	// each further failure doubles it, up to MaxBackoff (1 hour when zero).
	Backoff, MaxBackoff time.Duration
	// Observer, when set, is told of every delivery and failure.
	Observer Observer
}

func (w *Worker) defaults() {
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Jitter == nil {
		w.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	if w.Batch <= 0 {
		w.Batch = 20
	}
	if w.Lease <= 0 {
		w.Lease = 2 * time.Minute
	}
	if w.Backoff <= 0 {
		w.Backoff = 30 * time.Second
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = time.Hour
	}
}

// Delay is how long to wait after a message's attempts-th failed attempt:
// base doubled for each failure before it, capped at max, of which the
// last half is random, so that messages that failed together are not all
// retried at the same moment.
func Delay(attempts int, base, max time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + jitter(d/2+1)
}

// Run delivers due messages until none is left or one claim fails; it
// returns how many it delivered. A failed delivery is recorded on its
// message, which is tried again after its backoff, and Run goes on with
// the others; only the outbox's own errors end it.
func (w *Worker) Run(ctx context.Context) (int, error) {
	w.defaults()
	sent := 0
	for ctx.Err() == nil {
		msgs, err := w.Outbox.Claim(ctx, w.Now(), w.Batch, w.Lease)
		if err != nil {
			return sent, fmt.Errorf("notify: claim: %w", err)
		}
		if len(msgs) == 0 {
			return sent, nil
		}
		for _, m := range msgs {
			ok, err := w.deliver(ctx, m)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
	}
	return sent, nil
}

// deliver sends one claimed message and records the outcome. It reports
// whether the message was settled; an error means the outcome could not
// be recorded, and the message will be claimed again once its lease ends.
func (w *Worker) deliver(ctx context.Context, m Message) (bool, error) {
	if m.To == "" {
		if err := w.Outbox.Sent(ctx, m.ID, w.Now(), true); err != nil {
			return false, fmt.Errorf("notify: settle message %d: %w", m.ID, err)
		}
		if w.Observer != nil {
			w.Observer.Delivered(m.Kind, true)
		}
		return true, nil
	}
	mail, err := w.Render(m)
	if err == nil {
		err = w.Mailer.Send(ctx, mail)
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// Cut short by shutdown: the lease brings it back.
			return false, nil
		}
		next := w.Now().Add(Delay(m.Attempts, w.Backoff, w.MaxBackoff, w.Jitter))
		if ferr := w.Outbox.Failed(ctx, m.ID, next, err.Error()); ferr != nil {
			return false, fmt.Errorf("notify: record failure of message %d: %w", m.ID, ferr)
		}
		if w.Observer != nil {
			w.Observer.DeliveryFailed(m.Kind)
		}
		return false, nil
	}
	if err := w.Outbox.Sent(ctx, m.ID, w.Now(), false); err != nil {
		return false, fmt.Errorf("notify: mark message %d sent: %w", m.ID, err)
	}
	if w.Observer != nil {
		w.Observer.Delivered(m.Kind, false)
	}
	return true, nil
}
