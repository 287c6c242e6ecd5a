package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/poller"
	"github.com/wsisvote/prizes/notify"
	npg "github.com/wsisvote/prizes/notify/postgres"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	prom "github.com/wsisvote/prizes/voting/prometheus"
)

// remindEvery is how often the jury reminders are looked for; they are
// days apart, so a minute late is on time.
const remindEvery = time.Minute

// outboxWorker builds the worker that sends the outbox's mail.
func (a *app) outboxWorker(outbox *npg.Outbox, metrics *prom.Metrics) (*notify.Worker, error) {
	tr, err := api.MailCatalogue()
	if err != nil {
		return nil, err
	}
	r, err := notify.NewRenderer(tr, a.publicURL(), a.cfg.Identity.SiteName)
	if err != nil {
		return nil, err
	}
	mailer, err := a.mailer()
	if err != nil {
		return nil, err
	}
	w := &notify.Worker{Outbox: outbox, Mailer: mailer, Render: r.Render, Now: time.Now}
	if metrics != nil {
		w.Observer = metrics
	}
	return w, nil
}

// wireNotify runs the outbox worker, the jury reminder sweep and the
// outbox gauges in serve's background.
func (a *app) wireNotify(st *stack, store *ppg.Store) error {
	outbox := npg.New(st.pg.Pool())
	w, err := a.outboxWorker(outbox, st.metrics)
	if err != nil {
		return err
	}
	st.background(func(ctx context.Context) { a.deliverMail(ctx, outbox, w, st.metrics) })
	st.background(func(ctx context.Context) {
		p := poller.Poller{Every: remindEvery, AtStart: true,
			Fn: func(ctx context.Context, now time.Time) error {
				_, err := store.QueueJuryReminders(ctx, now)
				return err
			},
			OnError: func(err error) { a.log.Warn("queue jury reminders", "err", err) }}
		p.Run(ctx)
	})
	return nil
}

// deliverMail runs w every PRIZES_NOTIFY_EVERY and whenever a change
// signals new mail, and keeps the outbox gauges, until ctx ends.
func (a *app) deliverMail(ctx context.Context, outbox *npg.Outbox, w *notify.Worker, metrics *prom.Metrics) {
	wake := make(chan struct{}, 1)
	go outbox.Listen(ctx, wake, func(err error) { a.log.Warn("outbox listen", "err", err) })
	p := poller.Poller{Every: a.cfg.Notify.Every, AtStart: true, Wake: wake,
		Fn: func(ctx context.Context, now time.Time) error {
			n, err := w.Run(ctx)
			if n > 0 {
				a.log.Info("mail sent", "messages", n)
			}
			if metrics != nil {
				if st, serr := outbox.Stats(ctx); serr == nil {
					age := time.Duration(0)
					if !st.Oldest.IsZero() {
						age = time.Since(st.Oldest)
					}
					metrics.SetOutbox(st.Pending, age)
				}
			}
			return err
		},
		OnError: func(err error) {
			if metrics != nil {
				metrics.StoreError("postgres", "outbox")
			}
			a.log.Warn("outbox", "err", err)
		}}
	p.Run(ctx)
}

// runNotify runs the outbox worker alone, until interrupted:
//
//	prizes notify [--metrics-addr ADDR]
//
// Several may run at once, beside serve's own, and share the work.
func runNotify(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("notify")
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	outbox := npg.New(db.Pool())
	w, err := a.outboxWorker(outbox, nil)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	a.log.Info("sending the outbox's mail", "public_url", a.publicURL())
	a.deliverMail(ctx, outbox, w, nil)
	return nil
}
