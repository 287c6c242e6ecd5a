package main

import (
	"context"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	apg "github.com/wsisvote/prizes/antifraud/postgres"
	"github.com/wsisvote/prizes/internal/poller"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
)

// analyseOnSchedule runs the fraud analyser on the ledger of every edition
// that is voting or counting, every `every` (the first run one interval
// after the node starts), and as soon as an edition this node saw voting is
// counting (voting has just closed), storing what it finds as cases for
// organisers to review. Every node runs it; an advisory lock per edition
// makes one node do each run, and a node that finds it taken skips that
// edition until the next tick. A run holds the edition's ledger in memory
// while it lasts (see docs/benchmarks.md for the figures at WSIS scale).
func (a *app) analyseOnSchedule(ctx context.Context, lifecycle *ppg.Store, fraud *apg.Store, every time.Duration) {
	if every <= 0 {
		return
	}
	started := time.Now()
	last := map[string]time.Time{}
	phase := map[string]voting.Phase{}
	p := poller.Poller{
		Every: min(every, scheduleEvery),
		Fn: func(ctx context.Context, now time.Time) error {
			eds, err := lifecycle.Editions(ctx)
			if err != nil {
				return err
			}
			for _, ed := range eds {
				if ed.Phase != voting.PhaseVoting && ed.Phase != voting.PhaseCounting {
					continue
				}
				closing := ed.Phase == voting.PhaseCounting && phase[ed.ID] == voting.PhaseVoting
				phase[ed.ID] = ed.Phase
				if _, ok := last[ed.ID]; !ok {
					last[ed.ID] = started
				}
				if !closing && now.Sub(last[ed.ID]) < every {
					continue
				}
				last[ed.ID] = now
				a.analyseEdition(ctx, fraud, ed.ID)
			}
			return nil
		},
		OnError: func(err error) { a.log.Warn("fraud analysis: list editions", "err", err) },
	}
	p.Run(ctx)
}

// analyseEdition runs the analyser once on an edition's ledger under its
// lock and stores the cases.
func (a *app) analyseEdition(ctx context.Context, fraud *apg.Store, edition string) {
	began := time.Now()
	var cases, votes int
	ran, err := fraud.WithAnalysisLock(ctx, edition, func(ctx context.Context) error {
		vs, err := fraud.Votes(ctx, edition)
		if err != nil {
			return err
		}
		rep := antifraud.Analyze(vs, antifraud.DefaultOptions())
		votes, cases = len(vs), len(rep.Cases)
		_, err = fraud.SaveReport(ctx, prizes.SystemActor(), edition, rep)
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Warn("fraud analysis failed", "edition", edition, "err", err)
	case ran && err == nil:
		a.log.Info("fraud analysis", "edition", edition, "votes", votes, "cases", cases,
			"seconds", time.Since(began).Seconds())
	}
}
