package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/antifraud"
	apg "github.com/wsisvote/prizes/antifraud/postgres"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/poller"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting/postgres"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// fraudCommands are the subcommands of prizes fraud, each a command of its
// own with its own flags.
var fraudCommands = []command{
	{"analyze", "analyse the ledger of --edition (or an export file, --from) and store its cases", runFraudAnalyze},
	{"export", "write the ledger with account facts, one vote per line (JSON)", runFraudExport},
	{"cases", "list an edition's cases and the projects with invalidated votes", runFraudCases},
	{"show", "one case with its votes, decisions and evidence", runFraudShow},
	{"decide", "invalidate or clear a case, with a reason, as an organiser", runFraudDecide},
	{"tally", "apply decisions' adjustments the live tally has not received yet", runFraudTally},
}

// runFraud is prizes fraud SUBCOMMAND [flags].
func runFraud(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		for _, c := range fraudCommands {
			if c.name == args[0] {
				return c.run(ctx, a, args[1:])
			}
		}
	}
	fmt.Fprintln(a.stderr, "usage: prizes fraud SUBCOMMAND [flags]\n\nsubcommands:")
	for _, c := range fraudCommands {
		fmt.Fprintf(a.stderr, "  %-8s %s\n", c.name, c.usage)
	}
	if len(args) == 0 {
		return fmt.Errorf("fraud: a subcommand is required")
	}
	return fmt.Errorf("fraud: unknown subcommand %q", args[0])
}

// fraudStore opens the fraud review store on PostgreSQL, with live, when
// not nil, as the live tally decisions adjust.
func (a *app) fraudStore(pg *postgres.Store, live antifraud.LiveTally) *apg.Store {
	lifecycle := ppg.New(pg.Pool(), ppg.Options{Now: time.Now})
	return apg.New(pg.Pool(), lifecycle, apg.Options{Now: time.Now, Live: live})
}

// runFraudExport is prizes fraud export --edition E --out FILE: every vote
// of the ledger with its account facts, one JSON object per line, streamed.
func runFraudExport(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("fraud export")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "the edition whose ledger to export")
	out := fs.String("out", "-", "file to write the export lines to (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" {
		return fmt.Errorf("fraud export: --edition is required")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	w, done, err := a.output(*out)
	if err != nil {
		return fmt.Errorf("fraud export: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	n := 0
	err = a.fraudStore(pg, nil).EachVote(ctx, *edition, func(v antifraud.Vote) error {
		n++
		return enc.Encode(v)
	})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := done(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fraud export: %w", err)
	}
	fmt.Fprintf(a.stderr, "exported %d votes of %s\n", n, *edition)
	return nil
}

// redisTally is the vote log's Redis store, opened for its live tally only.
type redisTally struct {
	log    *vredis.Store
	client goredis.UniversalClient
}

func (r redisTally) close() {
	r.log.Close()
	r.client.Close()
}

// liveTally opens the live tally in Redis, with the key layout serve uses.
func (a *app) liveTally(ctx context.Context) (redisTally, error) {
	client, err := vredis.Connect(a.cfg.RedisURL)
	if err != nil {
		return redisTally{}, fmt.Errorf("redis url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	store, err := vredis.New(ctx, client, vredis.Options{Shards: a.cfg.Shards, Prefix: a.cfg.RedisPrefix, Consumer: a.cfg.Consumer})
	if err != nil {
		client.Close()
		return redisTally{}, err
	}
	return redisTally{log: store, client: client}, nil
}

// followFraudTally applies, every scheduleEvery, the live tally
// adjustments that decisions left pending because Redis could not be reached
// then. Every node runs it; an adjustment is applied once whichever node
// gets there first.
func (a *app) followFraudTally(ctx context.Context, store *apg.Store) {
	p := poller.Poller{
		Every: scheduleEvery,
		Fn: func(ctx context.Context, _ time.Time) error {
			n, err := store.ApplyTally(ctx, "")
			if n > 0 {
				a.log.Info("live tally adjusted for earlier fraud decisions", "decisions", n)
			}
			return err
		},
		OnError: func(err error) { a.log.Warn("live tally adjustment still pending", "err", err) },
	}
	p.Run(ctx)
}

// output opens path for writing ("-" is standard output) and returns the
// function that closes it.
func (a *app) output(path string) (io.Writer, func() error, error) {
	if path == "-" || path == "" {
		return a.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// runFraudAnalyze is prizes fraud analyze: the analyser's verdict on every
// vote of the ledger of --edition, or of the export lines in --from, with
// the cases behind the flagged ones.
//
//	--edition E            analyse E's ledger and store the cases in it
//	--from FILE            analyse an export file (prizes fraud export); with
//	                       --edition too, store the cases in E's ledger
//	--out FILE             write the verdicts, one JSON object per line
//	                       (- for stdout, the default with --from alone)
//
// Storing is one change of the edition's record, allowed while voting,
// counting and jury run: new cases open, open ones updated, decided ones
// left as decided, counted votes the analyser flags set to flagged (see
// antifraud/postgres). What was stored is printed as JSON.
func runFraudAnalyze(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("fraud analyze")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "edition whose ledger to analyse and in which to store the cases")
	from := fs.String("from", "", "export file to analyse instead of the ledger")
	out := fs.String("out", "", "file to write the verdicts to, one per line (- for stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" && *from == "" {
		return fmt.Errorf("fraud analyze: --edition or --from is required")
	}
	if *edition == "" && *out == "" {
		*out = "-"
	}
	var votes []antifraud.Vote
	var store *apg.Store
	if *edition != "" {
		db, err := a.database(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		pg := postgres.New(db.Pool())
		store = a.fraudStore(pg, nil)
	}
	began := time.Now()
	if *from != "" {
		votes, err = readExport(*from)
	} else {
		votes, err = store.Votes(ctx, *edition)
	}
	if err != nil {
		return fmt.Errorf("fraud analyze: %w", err)
	}
	read := time.Since(began)
	rep := antifraud.Analyze(votes, antifraud.DefaultOptions())
	flagged := 0
	for _, v := range rep.Verdicts {
		if v.Status == antifraud.StatusFlagged {
			flagged++
		}
	}
	fmt.Fprintf(a.stderr, "fraud analyze: %d votes read in %.1fs, analysed in %.1fs: %d flagged, %d cases\n",
		len(votes), read.Seconds(), (time.Since(began) - read).Seconds(), flagged, len(rep.Cases))
	if *out != "" {
		if err := a.writeVerdicts(*out, rep.Verdicts); err != nil {
			return fmt.Errorf("fraud analyze: %w", err)
		}
	}
	if store == nil {
		return nil
	}
	stored, err := store.SaveReport(ctx, prizes.SystemActor(), *edition, rep)
	if err != nil {
		return fmt.Errorf("fraud analyze: %w", err)
	}
	return a.printJSON(map[string]any{"edition": *edition, "votes": len(votes), "flagged": flagged,
		"cases": len(rep.Cases), "stored": stored})
}

// readExport reads the export lines of a file, one antifraud.Vote per line
// (blank lines skipped).
func readExport(path string) ([]antifraud.Vote, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var votes []antifraud.Vote
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v antifraud.Vote
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		votes = append(votes, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return votes, nil
}

// writeVerdicts writes verdicts to path, one JSON object per line.
func (a *app) writeVerdicts(path string, verdicts []antifraud.Verdict) error {
	w, done, err := a.output(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	for _, v := range verdicts {
		if err := enc.Encode(v); err != nil {
			done()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		done()
		return err
	}
	return done()
}

// printJSON writes v as indented JSON on standard output.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// caseLine is a case in prizes fraud cases: everything but its votes, which
// statuses counts.
type caseLine struct {
	ID        string              `json:"id"`
	Kind      string              `json:"kind"`
	State     antifraud.CaseState `json:"state"`
	Score     float64             `json:"score"`
	Summary   string              `json:"summary"`
	Statuses  map[string]int64    `json:"statuses"`
	Projects  []string            `json:"projects"`
	FoundAt   time.Time           `json:"found_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// runFraudCases is prizes fraud cases --edition E.
func runFraudCases(ctx context.Context, a *app, args []string) error {
	edition, err := a.editionArg("fraud cases", "the edition", args)
	if err != nil {
		return err
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	l, err := a.fraudStore(pg, nil).Cases(ctx, edition)
	if err != nil {
		return err
	}
	out := struct {
		Edition  string                    `json:"edition"`
		Cases    []caseLine                `json:"cases"`
		Projects []antifraud.ProjectReview `json:"projects"`
	}{Edition: l.Edition, Cases: make([]caseLine, len(l.Cases)), Projects: l.Projects}
	for i, c := range l.Cases {
		out.Cases[i] = caseLine{ID: c.ID, Kind: c.Kind, State: c.State, Score: c.Score, Summary: c.Summary,
			Statuses: c.Statuses, Projects: c.Projects, FoundAt: c.FoundAt, UpdatedAt: c.UpdatedAt}
	}
	return a.printJSON(out)
}

// runFraudShow is prizes fraud show --edition E --case ID.
func runFraudShow(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("fraud show")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "the edition")
	id := fs.String("case", "", "the case's id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" || *id == "" {
		return fmt.Errorf("fraud show: --edition and --case are required")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	cf, err := a.fraudStore(pg, nil).Case(ctx, *edition, *id)
	if err != nil {
		return err
	}
	return a.printJSON(cf)
}

// runFraudDecide is prizes fraud decide --edition E --case ID --decision
// invalidate|clear --reason TEXT --by ACCOUNT: the decision is recorded as
// the organiser's with that account id, the live tally adjusted after it.
// When Redis cannot be reached the decision stands and its adjustment waits
// (prizes fraud tally applies it); the command says so on standard error.
func runFraudDecide(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("fraud decide")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "the edition")
	id := fs.String("case", "", "the case's id")
	decision := fs.String("decision", "", "invalidate or clear")
	reason := fs.String("reason", "", "why; recorded with the decision and in the audit log")
	by := fs.Int64("by", 0, "the deciding organiser's account id (prizes account --email ADDR prints it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" || *id == "" || *by <= 0 {
		return fmt.Errorf("fraud decide: --edition, --case and --by are required")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	if _, err := ipostgres.New(db.Pool()).Account(ctx, *by); err != nil {
		return fmt.Errorf("fraud decide: --by: %w", err)
	}
	var live antifraud.LiveTally
	if l, err := a.liveTally(ctx); err != nil {
		fmt.Fprintln(a.stderr, "fraud decide: the live tally cannot be reached:", err)
	} else {
		defer l.close()
		live = l.log
	}
	d, err := a.fraudStore(pg, live).Decide(ctx, prizes.Actor{ID: *by, Role: "organiser"}, *edition, *id,
		antifraud.DecisionRequest{Decision: *decision, Reason: *reason})
	if err != nil {
		return err
	}
	if d.TallyPending {
		fmt.Fprintln(a.stderr, "the decision is recorded; the live tally could not be adjusted yet: run prizes fraud tally --edition "+*edition)
	}
	return a.printJSON(d)
}

// runFraudTally is prizes fraud tally --edition E: applies to the live tally
// the adjustments that decisions recorded and Redis has not received, and
// prints how many it applied and how many are left.
func runFraudTally(ctx context.Context, a *app, args []string) error {
	edition, err := a.editionArg("fraud tally", "the edition", args)
	if err != nil {
		return err
	}
	st, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	store := a.fraudStore(st.pg, st.log)
	applied, aerr := store.ApplyTally(ctx, edition)
	pending, _, err := store.PendingTally(ctx, edition)
	if err != nil {
		return err
	}
	if err := a.printJSON(map[string]any{"edition": edition, "applied": applied, "pending": pending}); err != nil {
		return err
	}
	return aerr
}
