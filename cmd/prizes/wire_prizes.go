package main

import (
	"context"
	"time"

	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/poller"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/transparency"
)

// scheduleEvery is how often serve moves editions along their schedule. A
// phase window is days long; a quarter of a minute late is on time.
const scheduleEvery = 15 * time.Second

// wirePrizes builds the prize lifecycle's stores and services into cfg. ctx
// lives as long as the server.
func (a *app) wirePrizes(ctx context.Context, st *stack, cfg *api.Config) error {
	store := ppg.New(st.pg.Pool(), ppg.Options{Now: time.Now, Backlog: st.log})
	fraud := apg.New(st.pg.Pool(), store, apg.Options{Now: time.Now, Live: st.log})
	tlog := &transparency.Log{Store: st.pg, Now: time.Now, Signer: func(ctx context.Context) (*transparency.Signer, error) {
		kid, key, err := store.ResultKey(ctx)
		if err != nil {
			return nil, err
		}
		return transparency.NewSigner(kid, key)
	}}
	cfg.Prizes = api.PrizesConfig{
		Editions: store, Submissions: store, Review: store, Champions: store,
		Jury: store, Results: store, Ledger: store, Log: tlog, Audit: store, Fraud: fraud, Activity: st.pg,
		Invitations: store,
	}
	if a.cfg.Notify.On {
		if err := a.wireNotify(st, store); err != nil {
			return err
		}
	}
	if err := a.wireFiles(ctx, st, store, cfg); err != nil {
		return err
	}
	if a.cfg.CheckpointEvery > 0 {
		st.background(func(ctx context.Context) { a.signCheckpoints(ctx, st, tlog) })
	}
	st.background(func(ctx context.Context) { a.followSchedules(ctx, store) })
	st.background(func(ctx context.Context) { a.followFraudTally(ctx, fraud) })
	st.background(func(ctx context.Context) { a.analyseOnSchedule(ctx, store, fraud, a.cfg.FraudAnalyzeEvery) })
	return nil
}

// signCheckpoints signs a checkpoint of every vote log that grew, every
// PRIZES_CHECKPOINT_EVERY. Every node runs it; nodes that sign the same size
// sign the same bytes, and the first one kept stays.
func (a *app) signCheckpoints(ctx context.Context, st *stack, tlog *transparency.Log) {
	p := poller.Poller{
		Every: a.cfg.CheckpointEvery,
		Fn:    func(ctx context.Context, _ time.Time) error { return tlog.SignCheckpoints(ctx) },
		OnError: func(err error) {
			st.metrics.StoreError("postgres", "checkpoint")
			a.log.Warn("sign checkpoints", "err", err)
		},
	}
	p.Run(ctx)
}

// followSchedules advances editions whose phase windows say so. Every node
// runs it; the edition's row lock makes one of them do each move.
func (a *app) followSchedules(ctx context.Context, store *ppg.Store) {
	p := poller.Poller{
		Every: scheduleEvery,
		Fn: func(ctx context.Context, now time.Time) error {
			advanced, err := store.AdvanceDue(ctx, now)
			for _, id := range advanced {
				a.log.Info("edition advanced by its schedule", "edition", id)
			}
			return err
		},
		OnError: func(err error) { a.log.Warn("scheduled phase change refused", "err", err) },
	}
	p.Run(ctx)
}
