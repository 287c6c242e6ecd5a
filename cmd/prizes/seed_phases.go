package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// The demo's people: one organiser, one project owner and two jurors, each
// of whom can sign in on the site with their address (the code arrives in
// the mail catcher) or use the token seedPhases writes.
const (
	demoOrganiser = "organiser@demo.example"
	demoOwner     = "owner@demo.example"
	demoJuror     = "juror%d@demo.example"
)

// demoPhase is one of the demo editions seedPhases makes, and how far it
// goes through the lifecycle.
type demoPhase struct {
	id, name string
	to       voting.Phase
}

// demoPhases are the editions besides the voting one: one taking entries,
// one whose jury is at work, one published.
var demoPhases = []demoPhase{
	{"demo-submission", "Demo: entries open", voting.PhaseSubmission},
	{"demo-jury", "Demo: the jury at work", voting.PhaseJury},
	{"demo-published", "Demo: results published", voting.PhasePublished},
}

// demoCategories are the categories of the phase editions: three WSIS
// categories, enough to show a panel and a ranking without a long wait.
const (
	demoCategories = 3
	demoNominees   = 6
)

// demoPeople are the demo accounts and their tokens.
type demoPeople struct {
	organiser, owner prizes.Actor
	jurors           []prizes.Actor
	// tokens are "role<TAB>email<TAB>token" lines, for the tokens file.
	tokens []string
}

// seedPhases creates the demo editions of demoPhases, each taken through
// the lifecycle by the same store the API uses (every step audited), and
// the demo people, whose tokens it writes to tokenFile. An edition that
// exists already is left as it is, so seeding twice is harmless.
func seedPhases(ctx context.Context, a *app, pg *postgres.Store, tokenFile string) error {
	accounts := ipostgres.New(pg.Pool())
	people, err := demoAccounts(ctx, accounts)
	if err != nil {
		return err
	}
	store := ppg.New(pg.Pool(), ppg.Options{Now: time.Now})
	for _, ph := range demoPhases {
		if _, err := store.Edition(ctx, ph.id); err == nil {
			continue
		}
		if err := seedPhase(ctx, store, pg, accounts, people, ph); err != nil {
			return fmt.Errorf("seed %s: %w", ph.id, err)
		}
		fmt.Fprintf(a.stderr, "seeded edition %s in its %s phase\n", ph.id, ph.to)
	}
	if tokenFile == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(tokenFile), 0o755); err != nil {
		return err
	}
	body := "# role\temail\taccess token (valid 24 h; sign in on the site with the address for a session)\n"
	for _, l := range people.tokens {
		body += l + "\n"
	}
	return os.WriteFile(tokenFile, []byte(body), 0o600)
}

// demoAccounts enrols the demo people as a sign-in would, grants the
// organiser role, and mints a token for each.
func demoAccounts(ctx context.Context, accounts *ipostgres.Store) (demoPeople, error) {
	var p demoPeople
	stable, err := identity.StableSecret(ctx, accounts, time.Now())
	if err != nil {
		return p, err
	}
	enrol := func(email, role string, grants ...identity.Grant) (prizes.Actor, error) {
		addr, err := identity.ParseEmail(email)
		if err != nil {
			return prizes.Actor{}, err
		}
		hash := identity.HashEmail(stable, addr)
		acct, err := accounts.Enrol(ctx, identity.Enrolment{EmailHash: hash, Email: addr.Address, At: time.Now()})
		if err != nil {
			return prizes.Actor{}, err
		}
		for _, g := range grants {
			if _, err := accounts.Grant(ctx, hash, g); err != nil {
				return prizes.Actor{}, err
			}
		}
		tok, err := mintToken(ctx, accounts, acct, role, voterTokenTTL)
		if err != nil {
			return prizes.Actor{}, err
		}
		p.tokens = append(p.tokens, role+"\t"+addr.Address+"\t"+tok)
		return prizes.Actor{ID: acct.ID, Role: role}, nil
	}
	if p.organiser, err = enrol(demoOrganiser, identity.RoleOrganiser, identity.Grant{Role: identity.RoleOrganiser}); err != nil {
		return p, err
	}
	if p.owner, err = enrol(demoOwner, identity.RoleOwner); err != nil {
		return p, err
	}
	for i := 1; i <= 2; i++ {
		var grants []identity.Grant
		for _, ph := range demoPhases {
			for _, c := range prizes.WSISCategories()[:demoCategories] {
				grants = append(grants, identity.Grant{Role: identity.RoleJuror, Edition: ph.id, Category: c.Code})
			}
		}
		j, err := enrol(fmt.Sprintf(demoJuror, i), identity.RoleJuror, grants...)
		if err != nil {
			return p, err
		}
		p.jurors = append(p.jurors, j)
	}
	return p, nil
}

// seedPhase takes one demo edition from its creation to ph.to.
func seedPhase(ctx context.Context, store *ppg.Store, pg *postgres.Store, accounts *ipostgres.Store, p demoPeople, ph demoPhase) error {
	cats := prizes.WSISCategories()[:demoCategories]
	rules, _ := json.Marshal(map[string]int{"nominees_per_category": demoNominees, "champions_per_category": 3, "winners_per_category": 1})
	if _, err := store.CreateEdition(ctx, p.organiser, prizes.NewEdition{ID: ph.id, Name: ph.name, Categories: cats, Rules: rules}); err != nil {
		return err
	}
	advance := func(to voting.Phase) error {
		_, err := store.Advance(ctx, p.organiser, ph.id, to)
		return err
	}
	if err := advance(voting.PhaseSubmission); err != nil {
		return err
	}
	// The owner's entries: all submitted but the last, a draft.
	_, _, demo := prizes.DemoEdition(ph.id, demoNominees)
	var ids []string
	for i, d := range demo {
		if i >= demoCategories*demoNominees {
			break
		}
		s, err := store.CreateSubmission(ctx, p.owner, ph.id, prizes.Entry{
			Category: d.Category, Title: d.Title, Summary: d.Summary + demoEntryMore, Organisation: d.Organisation,
			Country: d.Country, Stakeholder: "civil_society", Links: d.Links,
		})
		if err != nil {
			return err
		}
		if ph.to == voting.PhaseSubmission && i == demoCategories*demoNominees-1 {
			break
		}
		if _, err := store.SubmitSubmission(ctx, p.owner, ph.id, s.ID); err != nil {
			return err
		}
		ids = append(ids, s.ID)
	}
	if ph.to == voting.PhaseSubmission {
		return nil
	}
	if err := advance(voting.PhaseReview); err != nil {
		return err
	}
	var ds []prizes.ReviewDecision
	for _, id := range ids {
		ds = append(ds, prizes.ReviewDecision{ProjectID: id, Decision: prizes.DecisionNominate})
	}
	if _, err := store.Review(ctx, p.organiser, ph.id, ds); err != nil {
		return err
	}
	if err := advance(voting.PhaseVoting); err != nil {
		return err
	}
	if err := demoVotes(ctx, pg, accounts, ph.id, ids); err != nil {
		return err
	}
	for _, to := range []voting.Phase{voting.PhaseCounting, voting.PhaseJury} {
		if err := advance(to); err != nil {
			return err
		}
	}
	champions, err := store.Champions(ctx, ph.id)
	if err != nil {
		return err
	}
	for _, j := range p.jurors {
		for _, c := range cats {
			if err := store.Assign(ctx, p.organiser, ph.id, j.ID, c.Code); err != nil {
				return err
			}
		}
	}
	// Each juror scores every Champion; in the jury edition the second
	// juror has saved drafts only, so there is work left to try.
	for ji, j := range p.jurors {
		for _, c := range champions {
			for ni, n := range c.Nominees {
				if !n.Champion {
					continue
				}
				draft := prizes.ScoreDraft{Scores: map[string]int{}, Comment: "Seeded by the demo."}
				for ci, cr := range prizes.DefaultRubric() {
					draft.Scores[cr.Key] = 4 + (ni*3+ci+ji)%6
				}
				if _, err := store.SaveScores(ctx, j, ph.id, n.ProjectID, draft); err != nil {
					return err
				}
				if ph.to == voting.PhaseJury && ji == 1 {
					continue
				}
				if _, err := store.SubmitScores(ctx, j, ph.id, n.ProjectID); err != nil {
					return err
				}
			}
		}
	}
	if ph.to == voting.PhaseJury {
		return nil
	}
	return advance(voting.PhasePublished)
}

// demoEntryMore completes a demo nominee's summary to the length an entry
// needs (150 to 200 words).
const demoEntryMore = "\n\nIn the coming year the team plans to reach three more regions, to train local volunteers " +
	"who will run the service on their own, and to publish a handbook that explains every step, from the first meeting " +
	"with a community to the yearly review of what worked and what did not. Partners include a university, two public " +
	"agencies and a network of libraries, which lend their rooms and their connections. The project asks for no fee " +
	"from the people it serves and is funded by grants and by the partners' own budgets."

// demoVotes writes a small, tie-free vote into the ledger of a demo edition
// that is voting: in each category its nominees get 30, 26, 22, ... votes
// from as many new voter accounts, cast now.
func demoVotes(ctx context.Context, pg *postgres.Store, accounts *ipostgres.Store, edition string, ids []string) error {
	const most, step = 30, 4
	voters, err := accounts.CreateVoters(ctx, most*demoNominees)
	if err != nil {
		return err
	}
	var votes []voting.Vote
	now := time.Now().UTC()
	for c := 0; c < demoCategories; c++ {
		cat := prizes.WSISCategories()[c].Code
		next := 0
		for n := 0; n < demoNominees; n++ {
			for k := 0; k < most-n*step; k++ {
				votes = append(votes, voting.Vote{
					ID: uuid.Must(uuid.NewV7()).String(), Edition: edition, VoterID: voters[next].ID,
					ProjectID: ids[c*demoNominees+n], Category: cat, Slot: cat, Status: voting.StatusCounted,
					CastAt: now.Add(-time.Duration(len(votes)) * time.Second),
				})
				next++
			}
		}
	}
	_, err = pg.Insert(ctx, votes)
	return err
}

// demoTokenFile is where prizes dev writes the demo people's tokens, beside
// the voter's.
func demoTokenFile(voterFile string) string {
	return filepath.Join(filepath.Dir(voterFile), "people.tsv")
}
