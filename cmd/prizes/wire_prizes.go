package main

import (
	"context"
	"time"

	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/poller"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
)

// scheduleEvery is how often serve moves editions along their schedule. A
// phase window is days long; a quarter of a minute late is on time.
const scheduleEvery = 15 * time.Second

// wirePrizes builds the prize lifecycle's stores and services into cfg. ctx
// lives as long as the server.
func (a *app) wirePrizes(ctx context.Context, st *stack, cfg *api.Config) error {
	store := ppg.New(st.pg.Pool(), ppg.Options{Now: time.Now, Backlog: st.log})
	fraud := apg.New(st.pg.Pool(), store, apg.Options{Now: time.Now, Live: st.log})
	cfg.Prizes = api.PrizesConfig{
		Editions: store, Submissions: store, Review: store, Champions: store,
		Jury: store, Results: store, Audit: store, Fraud: fraud,
	}
	st.background(func(ctx context.Context) { a.followSchedules(ctx, store) })
	st.background(func(ctx context.Context) { a.followFraudTally(ctx, fraud) })
	st.background(func(ctx context.Context) { a.analyseOnSchedule(ctx, store, fraud, a.cfg.FraudAnalyzeEvery) })
	return nil
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
