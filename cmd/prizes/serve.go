package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/api"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/connlimit"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/internal/poller"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
	prom "github.com/wsisvote/prizes/voting/prometheus"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// stack is the set of connected stores a serving or flushing process uses.
type stack struct {
	db  *database.DB
	pg  *postgres.Store
	log *vredis.Store
	// redis is the client the vote log uses; other Redis adapters share it.
	redis   goredis.UniversalClient
	metrics *prom.Metrics
	reg     *prometheus.Registry
	// activity counts this process's votes and flushes for the organisers'
	// dashboard; saveActivity writes it to the database.
	activity *voting.Activity
	// background starts a goroutine that the server waits for on shutdown;
	// it gets a context that ends when the server stops.
	background func(f func(ctx context.Context))
}

func (a *app) connect(ctx context.Context) (*stack, error) {
	db, err := a.database(ctx)
	if err != nil {
		return nil, err
	}
	client, err := vredis.Connect(a.cfg.RedisURL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("redis url: %w", err)
	}
	reg, metrics := prom.NewRegistry()
	store, err := vredis.New(ctx, client, vredis.Options{
		Shards: a.cfg.Shards, Prefix: a.cfg.RedisPrefix, Consumer: a.cfg.Consumer, VoteLimit: a.cfg.voteLimit(),
		PipelineSize: a.cfg.PipelineSize, Workers: a.cfg.Workers, Deadline: a.cfg.RedisDeadline,
		AckReplicas: a.cfg.AckReplicas, AckTimeout: a.cfg.AckTimeout, Observer: metrics,
	})
	if err != nil {
		db.Close()
		client.Close()
		return nil, err
	}
	pg := postgres.New(db.Pool())
	pg.SetLog(a.cfg.Log)
	return &stack{db: db, pg: pg, log: store, redis: client, metrics: metrics, reg: reg,
		activity: voting.NewActivity(time.Now)}, nil
}

func (s *stack) close() {
	s.log.Close()
	s.redis.Close()
	s.db.Close()
}

// flusher builds the flusher of this process.
func (s *stack) flusher(cfg config) *voting.Flusher {
	return &voting.Flusher{
		Stream: s.log, Ledger: s.pg, Observer: voting.Observers{s.metrics, s.activity}, Now: time.Now,
		BatchSize: cfg.BatchSize, BatchWait: cfg.BatchWait, ClaimIdle: cfg.ClaimIdle,
	}
}

// activityEvery is how often a process saves the minutes of activity that
// changed: the dashboard is this far behind at most.
const activityEvery = 5 * time.Second

// activityNode names this process's rows of activity: its consumer name,
// which a restart keeps, and its start, so that a restarted process adds
// to a minute rather than replacing what it counted before.
func activityNode(consumer string) string {
	return fmt.Sprintf("%s@%x", consumer, time.Now().UnixNano())
}

// saveActivity writes the process's activity to the database every
// activityEvery under the name node, and once more when ctx ends, so a
// process that stops leaves its last seconds on record too. A minute that
// could not be saved is tried again with the next.
func (s *stack) saveActivity(ctx context.Context, node string) {
	save := func(ctx context.Context) error {
		changed := s.activity.Changed()
		if err := s.pg.SaveActivity(ctx, node, changed); err != nil {
			s.activity.Unsaved(changed)
			return err
		}
		return nil
	}
	p := poller.Poller{
		Every:   activityEvery,
		Fn:      func(ctx context.Context, _ time.Time) error { return save(ctx) },
		OnError: func(error) { s.metrics.StoreError("postgres", "activity") },
	}
	p.Run(ctx)
	final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := save(final); err != nil {
		s.metrics.StoreError("postgres", "activity")
	}
}

// watchBacklog keeps the stream backlog gauges current.
func (s *stack) watchBacklog(ctx context.Context, every time.Duration) {
	p := poller.Poller{
		Every: every, AtStart: true,
		Fn: func(ctx context.Context, _ time.Time) error {
			pending, unread, err := s.log.Backlog(ctx)
			if err == nil {
				s.metrics.SetBacklog(pending, unread)
			}
			return err
		},
		OnError: func(error) { s.metrics.StoreError("redis", "backlog") },
	}
	p.Run(ctx)
}

func runServe(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("serve")
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	return a.serve(ctx, nil)
}

// serve runs the API (and the flusher unless disabled) until ctx ends. ready,
// when set, is called with the listening address once the API accepts
// requests.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	n := &node{app: a, ready: ready}
	err := n.Run(ctx)
	if cErr := n.Close(); err == nil {
		err = cErr
	}
	return err
}

// node is one prizes serve process. Run opens the stores, starts the
// background work, the flusher and the API; Close releases what Run opened,
// in this order: the API stops first, so that everything it acknowledged is
// in the log, then the flusher drains what it holds, then the background
// work stops, and the stores close last.
type node struct {
	app   *app
	ready func(addr string)

	st           *stack
	stopBG       context.CancelFunc
	bg           sync.WaitGroup
	release      []func() // what the wiring opened besides the stack
	stopProfiles func()
	srv          *http.Server
	stopFlush    context.CancelFunc
	flushDone    chan error
}

// Run serves until ctx ends or the API fails. Close must follow it, whether
// it succeeded or not.
func (n *node) Run(ctx context.Context) error {
	a := n.app
	a.tuneGC()
	st, err := a.connect(ctx)
	if err != nil {
		return err
	}
	n.st = st

	snap, err := st.pg.LoadSnapshot(ctx)
	if err != nil {
		return err
	}
	cat := voting.NewCatalogue(snap)
	// A fresh deployment has no key until one is first needed; asking for the
	// active key makes it now, so tokens minted later verify here.
	signingKeys := ipostgres.New(st.pg.Pool())
	if _, err := signingKeys.ActiveSigningKey(ctx, time.Now()); err != nil {
		return err
	}
	keys, err := signingKeys.VerificationKeys(ctx, voterTokenTTL)
	if err != nil {
		return err
	}
	verifier, err := api.NewVerifier(keys, time.Now)
	if err != nil {
		return err
	}

	// Background work outlives ctx: Close stops it, and waits for it, before
	// the stores it uses are closed.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	n.stopBG = stopBG
	st.background = func(f func(ctx context.Context)) {
		n.bg.Add(1)
		go func() { defer n.bg.Done(); f(bg) }()
	}
	st.background(func(ctx context.Context) {
		st.pg.Watch(ctx, cat, 10*time.Second, func(err error) {
			st.metrics.StoreError("postgres", "catalogue")
			a.log.Warn("catalogue refresh failed", "err", err)
		})
	})
	st.background(func(ctx context.Context) { refreshKeys(ctx, a, st, signingKeys, verifier) })
	st.background(func(ctx context.Context) { st.watchBacklog(ctx, 2*time.Second) })
	st.background(func(ctx context.Context) { st.saveActivity(ctx, activityNode(a.cfg.Consumer)) })

	scorer, err := a.cfg.scorer(cat)
	if err != nil {
		return err
	}
	svc := &voting.Service{
		Catalogue: cat, Log: st.log, Scorer: scorer, Now: time.Now,
		NewID:    func() string { return uuid.Must(uuid.NewV7()).String() },
		Recorded: st.pg, SettleWait: a.cfg.RedisDeadline, Activity: st.activity,
	}
	cfg := api.Config{
		Votes: svc, Catalogue: cat, Tokens: verifier, Metrics: st.metrics,
		Tally:          &voting.CachedTally{Source: st.log, TTL: time.Second, Now: time.Now},
		Registry:       promhttp.HandlerFor(st.reg, promhttp.HandlerOpts{Registry: st.reg}),
		TrustedProxies: a.cfg.trustedProxies(), Logger: a.log,
		Ready: []api.Check{
			{Name: "redis", Fn: st.log.Ping},
			{Name: "postgres", Fn: st.pg.Ping},
		},
	}
	if err := a.wirePrizes(bg, st, &cfg); err != nil {
		return err
	}
	closeIdentity, err := a.wireIdentity(bg, st, &cfg)
	if err != nil {
		return err
	}
	n.release = append(n.release, closeIdentity)
	if err := a.wireSite(bg, st, &cfg); err != nil {
		return err
	}
	handler := api.New(cfg)
	if a.cfg.PprofAddr != "" {
		n.stopProfiles = serveProfiles(a, a.cfg.PprofAddr)
	}
	exempt, err := a.cfg.Identity.exempt()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// The caps bound what slow or many clients can hold: with the read
	// deadline, each connection is held for a bounded time, and at most
	// MaxConns of them at once.
	capped := connlimit.New(ln, connlimit.Options{
		Max: a.cfg.HTTP.MaxConns, PerAddr: a.cfg.HTTP.MaxConnsPerIP, Exempt: exempt,
		Refused: func(c connlimit.Cap) { st.metrics.ConnectionRefused(string(c)) },
	})
	n.srv = a.cfg.HTTP.server(handler)

	// The flusher gets its own context, which Close ends once the API has
	// stopped.
	flushCtx, stopFlush := context.WithCancel(context.WithoutCancel(ctx))
	n.stopFlush = stopFlush
	n.flushDone = make(chan error, 1)
	if a.cfg.Flush {
		go func() { n.flushDone <- st.flusher(a.cfg).Run(flushCtx) }()
	} else {
		n.flushDone <- nil
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- n.srv.Serve(capped) }()
	a.log.Info("serving", "addr", ln.Addr().String(), "flusher", a.cfg.Flush, "shards", a.cfg.Shards)
	if n.ready != nil {
		n.ready(ln.Addr().String())
	}

	select {
	case <-ctx.Done():
		return nil
	case err := <-serveErr:
		return err
	}
}

// Close stops what Run started and releases what it opened, and returns the
// first error of the API's shutdown and the flusher's drain.
func (n *node) Close() error {
	var err error
	if n.srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = n.srv.Shutdown(shutdownCtx)
	}
	if n.stopFlush != nil {
		n.stopFlush()
		if fErr := <-n.flushDone; fErr != nil && err == nil {
			err = fErr
		}
	}
	if n.stopProfiles != nil {
		n.stopProfiles()
	}
	if n.stopBG != nil {
		n.stopBG()
		n.bg.Wait()
	}
	for _, release := range slices.Backward(n.release) {
		release()
	}
	if n.st != nil {
		n.st.close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// refreshKeys reloads the verification keys now and then, so a key rotated in
// by another node is trusted here too.
func refreshKeys(ctx context.Context, a *app, st *stack, signingKeys *ipostgres.Store, v *api.Verifier) {
	p := poller.Poller{
		Every: time.Minute,
		Fn: func(ctx context.Context, _ time.Time) error {
			keys, err := signingKeys.VerificationKeys(ctx, voterTokenTTL)
			if err != nil {
				return err
			}
			v.SetKeys(keys)
			return nil
		},
		OnError: func(err error) {
			st.metrics.StoreError("postgres", "keys")
			a.log.Warn("refresh verification keys", "err", err)
		},
	}
	p.Run(ctx)
}

func runFlush(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("flush")
	if err != nil {
		return err
	}
	metricsAddr := fs.String("metrics-addr", "", "address to serve /metrics on (none when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a.tuneGC()
	st, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	if *metricsAddr != "" {
		// Listening before the flusher starts makes a taken port an error
		// now, rather than a flusher that silently exports nothing.
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("listen for metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(st.reg, promhttp.HandlerOpts{}))
		srv := a.cfg.HTTP.server(mux)
		go srv.Serve(ln)
		defer srv.Close()
	}
	if a.cfg.PprofAddr != "" {
		stopProfiles := serveProfiles(a, a.cfg.PprofAddr)
		defer stopProfiles()
	}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go st.watchBacklog(bg, 2*time.Second)
	saved := make(chan struct{})
	go func() { defer close(saved); st.saveActivity(bg, activityNode(a.cfg.Consumer)) }()
	a.log.Info("flushing", "consumer", a.cfg.Consumer, "shards", a.cfg.Shards)
	err = st.flusher(a.cfg).Run(ctx)
	stop()
	<-saved
	return err
}

// checkJSON is the output of prizes check.
type checkJSON struct {
	Edition     string `json:"edition"`
	Converged   bool   `json:"converged"`
	Pending     int64  `json:"pending"`
	Unread      int64  `json:"unread"`
	LiveTotal   int64  `json:"live_total"`
	LedgerTotal int64  `json:"ledger_total"`
	// SetAside counts the dead-letter entries: votes that did not decode or
	// that the ledger refused, which the live counters may hold and the
	// ledger does not.
	SetAside int64 `json:"set_aside"`
	// FraudPending counts fraud decisions whose adjustment of the live
	// counters has not reached Redis yet (prizes fraud tally applies them);
	// the differences include what they owe.
	FraudPending int                 `json:"fraud_pending"`
	Differences  []voting.Difference `json:"differences"`
	// OutsideWindow counts the ledger's votes whose status counts but that
	// were cast outside the edition's voting window: the hot store refuses
	// those, so any here fail the check. Recount leaves them out.
	OutsideWindow int64 `json:"outside_window"`
	// Placement lists, by master, the shards whose keys it holds. A master
	// takes its shards' share of the votes, so an uneven placement says
	// which master will fill first; it does not fail the check.
	Placement []placementJSON `json:"placement"`
}

// placementJSON is one master's shards in prizes check.
type placementJSON struct {
	Master string `json:"master"`
	Shards []int  `json:"shards"`
}

func runCheck(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("check")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "edition to check")
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the vote log to drain before comparing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" {
		return fmt.Errorf("check: --edition is required")
	}
	st, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer st.close()
	out := checkJSON{Edition: *edition}
	deadline := time.Now().Add(*wait)
	for {
		if out.Pending, out.Unread, err = st.log.Backlog(ctx); err != nil {
			return err
		}
		if out.Pending+out.Unread == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out.SetAside, err = st.log.SetAside(ctx); err != nil {
		return err
	}
	if out.FraudPending, _, err = a.fraudStore(st.pg, nil).PendingTally(ctx, *edition); err != nil {
		return err
	}
	live, err := st.log.Tally(ctx, *edition)
	if err != nil {
		return err
	}
	ledger, err := st.pg.LiveCounts(ctx, *edition)
	if err != nil {
		return err
	}
	excluded, err := st.pg.Excluded(ctx, *edition)
	if err != nil {
		return err
	}
	out.OutsideWindow = excluded.OutsideWindow
	for _, n := range live {
		out.LiveTotal += n
	}
	for _, pc := range ledger {
		out.LedgerTotal += pc.Votes
	}
	out.Differences = voting.Compare(live, ledger)
	if out.Differences == nil {
		out.Differences = []voting.Difference{}
	}
	out.Converged = len(out.Differences) == 0
	placement, err := st.log.Placement(ctx)
	if err != nil {
		return err
	}
	for master, shards := range placement {
		out.Placement = append(out.Placement, placementJSON{Master: master, Shards: shards})
	}
	slices.SortFunc(out.Placement, func(a, b placementJSON) int { return strings.Compare(a.Master, b.Master) })
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	if !out.Converged || out.OutsideWindow > 0 {
		return exitCode(1)
	}
	return nil
}

// tuneGC sets the garbage collector's target for the long-running commands.
// Their live heap is small (a few tens of MB) and nearly everything they
// allocate is garbage within a request or a batch, so with Go's default of
// 100 the collector runs many times a second and takes several percent of
// the CPU; 400 lets the heap grow to five times the live data between
// collections instead, which is still well under a hundred MB.
func (a *app) tuneGC() {
	if a.cfg.GCPercent > 0 {
		debug.SetGCPercent(a.cfg.GCPercent)
	}
}
