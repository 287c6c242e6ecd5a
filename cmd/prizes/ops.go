package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/wsisvote/prizes/api"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// database opens the process's database; the caller closes it.
func (a *app) database(ctx context.Context) (*database.DB, error) {
	return database.Open(ctx, a.cfg.DatabaseURL)
}

func runMigrate(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("migrate")
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
	applied, err := db.Migrate(ctx)
	for _, name := range applied {
		fmt.Fprintln(a.stdout, "applied", name)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(a.stdout, "schema is up to date")
	}
	return err
}

func runSeed(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("seed")
	if err != nil {
		return err
	}
	demo := fs.Bool("demo", false, "create edition demo in its voting phase: the 18 WSIS categories, 20 nominees each")
	edition := fs.String("edition", "demo", "id of the demo edition")
	per := fs.Int("nominees", 20, "nominated projects per category")
	phases := fs.Bool("phases", true, "with --demo, also create demo editions taking entries, with the jury at work and published, "+
		"and their organiser, owner and jurors")
	people := fs.String("people", "", "with --phases, write the demo people's role<TAB>email<TAB>token lines to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demo {
		return fmt.Errorf("seed: nothing to do; pass --demo")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	if err := seedDemo(ctx, a, pg, *edition, *per); err != nil {
		return err
	}
	if !*phases {
		return nil
	}
	return seedPhases(ctx, a, pg, *people)
}

// seedDemo seeds the demo edition in its voting phase and freezes its
// rules as opening voting does, so that its results are held to them.
func seedDemo(ctx context.Context, a *app, pg *postgres.Store, edition string, per int) error {
	ed, cats, projects := prizes.DemoEdition(edition, per)
	if err := pg.SeedEdition(ctx, ed, cats, projects); err != nil {
		return err
	}
	if err := ppg.New(pg.Pool(), ppg.Options{}).FreezeSeededRules(ctx, edition); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "seeded edition %s: %d categories, %d nominees\n", edition, len(cats), len(projects))
	return nil
}

// voterTokenTTL is how long tokens minted for rehearsals stay valid.
const voterTokenTTL = 24 * time.Hour

func runVoters(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("voters")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "demo", "edition the voters are for")
	count := fs.Int("count", 1, "number of voters to create")
	out := fs.String("out", "-", "file to write voter_id<TAB>access_token lines to (- for stdout)")
	facts := fs.String("facts", "", "create instead one voter per line of this JSON lines file "+
		`({"key","created_at","signed_in_at","email_domain","country"}), with tokens claiming those facts, `+
		"and write voter_id<TAB>access_token<TAB>key lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *count <= 0 {
		return fmt.Errorf("voters: --count must be positive")
	}
	if *facts != "" && isSet(fs, "count") {
		return fmt.Errorf("voters: --count and --facts exclude each other")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	snap, err := pg.LoadSnapshot(ctx)
	if err != nil {
		return err
	}
	if _, ok := snap.Edition(*edition); !ok {
		return fmt.Errorf("voters: edition %q: %w", *edition, voting.ErrUnknownEdition)
	}
	accounts := ipostgres.New(db.Pool())
	key, err := accounts.ActiveSigningKey(ctx, time.Now())
	if err != nil {
		return err
	}
	signer, err := api.NewSigner(key.ID, key.Private, time.Now)
	if err != nil {
		return err
	}
	started := time.Now()
	var lines []string
	if *facts != "" {
		lines, err = a.createFactVoters(ctx, accounts, signer, *facts)
	} else {
		var voters []ipostgres.Voter
		if voters, err = accounts.CreateVoters(ctx, *count); err == nil {
			lines, err = mintTokens(signer, voters)
		}
	}
	if err != nil {
		return err
	}
	w := a.stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("voters: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, l := range lines {
		bw.WriteString(l)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("voters: write: %w", err)
	}
	fmt.Fprintf(a.stderr, "created %d voters for %s in %s\n", len(lines), *edition, time.Since(started).Round(time.Millisecond))
	return nil
}

// mintTokens signs one access token per voter on every core.
func mintTokens(signer *api.Signer, voters []ipostgres.Voter) ([]string, error) {
	lines := make([]string, len(voters))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(voters); i += workers {
				v := voters[i]
				id := strconv.FormatInt(v.ID, 10)
				tok, err := signer.Issue(id, api.RoleVoter, v.CreatedAt, voterTokenTTL)
				if err != nil {
					errs[w] = err
					return
				}
				lines[i] = id + "\t" + tok + "\n"
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("mint tokens: %w", err)
		}
	}
	return lines, nil
}

// recountJSON is the output of prizes recount: the counted votes of every
// project on the ballot, and what the count left out besides fraud review.
type recountJSON struct {
	Edition  string             `json:"edition"`
	Projects []projectCountJSON `json:"projects"`
	Total    int64              `json:"total"`
	// Window is the voting window the votes were counted in.
	Window prizes.WindowBounds `json:"voting_window"`
	// OutsideWindow counts votes that would count but were cast outside
	// Window; OffBallot those cast inside it for projects no longer on the
	// ballot. Neither is in Total.
	OutsideWindow int64 `json:"outside_window"`
	OffBallot     int64 `json:"off_ballot"`
}

type projectCountJSON struct {
	ProjectID string `json:"project_id"`
	Category  string `json:"category"`
	Votes     int64  `json:"votes"`
}

func runRecount(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("recount")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "edition to recount")
	verify := fs.Bool("verify", false, "recompute the published results from the ledger and the jury scores, compare them with the signed snapshot, and exit 1 on any difference")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" {
		return fmt.Errorf("recount: --edition is required")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	if *verify {
		return verifyResults(ctx, a, pg, *edition)
	}
	counts, err := pg.Recount(ctx, *edition)
	if err != nil {
		return err
	}
	excluded, err := pg.Excluded(ctx, *edition)
	if err != nil {
		return err
	}
	out := recountJSON{Edition: *edition, Projects: []projectCountJSON{}, Window: prizes.NewWindowBounds(excluded.Window),
		OutsideWindow: excluded.OutsideWindow, OffBallot: excluded.OffBallot}
	for _, pc := range counts {
		out.Projects = append(out.Projects, projectCountJSON{pc.ProjectID, pc.Category, pc.Votes})
		out.Total += pc.Votes
	}
	enc := json.NewEncoder(a.stdout)
	return enc.Encode(out)
}

// verifyResults is prizes recount --verify: the published results are
// recomputed from the ledger, the tie decisions and the jury scores, and
// compared with the signed snapshot, signature included.
func verifyResults(ctx context.Context, a *app, pg *postgres.Store, edition string) error {
	v, err := ppg.New(pg.Pool(), ppg.Options{}).VerifyResults(ctx, edition)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if !v.OK() {
		return exitCode(1)
	}
	return nil
}
