package ledgerscale

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
)

// people are the accounts that take the editions through their lifecycle.
type people struct {
	organiser, owner prizes.Actor
	jurors           []prizes.Actor
}

// jurors is how many jurors score every Champion.
const jurors = 2

// enrol creates the organiser, the owner of every entry and the jurors, as
// bare accounts: the store checks the actor's role, which the generator
// states, and the accounts' existence.
func enrol(ctx context.Context, pool *pgxpool.Pool) (people, error) {
	add := func(name, role string) (prizes.Actor, error) {
		var id int64
		err := pool.QueryRow(ctx, `INSERT INTO accounts (display_name, country) VALUES ($1, 'CH') RETURNING id`, name).Scan(&id)
		return prizes.Actor{ID: id, Role: role}, err
	}
	var p people
	var err error
	if p.organiser, err = add("Ledger scale organiser", "organiser"); err != nil {
		return p, fmt.Errorf("enrol: %w", err)
	}
	if p.owner, err = add("Ledger scale owner", "owner"); err != nil {
		return p, fmt.Errorf("enrol: %w", err)
	}
	for i := range jurors {
		j, err := add(fmt.Sprintf("Ledger scale juror %d", i+1), "juror")
		if err != nil {
			return p, fmt.Errorf("enrol: %w", err)
		}
		p.jurors = append(p.jurors, j)
	}
	return p, nil
}

// entryMore completes a generated entry's summary to the length an entry
// needs.
const entryMore = "\n\nIn the coming year the team plans to reach three more regions, to train local volunteers " +
	"who will run the service on their own, and to publish a handbook that explains every step, from the first meeting " +
	"with a community to the yearly review of what worked and what did not. Partners include a university, two public " +
	"agencies and a network of libraries, which lend their rooms and their connections. The project asks for no fee " +
	"from the people it serves and is funded by grants and by the partners' own budgets."

// openEdition creates an edition with the WSIS categories and nominees
// entries in each, all nominated, and opens its voting, through the prizes
// store as organisers and owners would. It returns the ballot, in WSIS
// category order.
func openEdition(ctx context.Context, store *ppg.Store, p people, id string, nominees int) (categories []string, projects [][]string, err error) {
	cats := prizes.WSISCategories()
	if _, err := store.CreateEdition(ctx, p.organiser, prizes.NewEdition{ID: id, Name: "Ledger scale " + id, Categories: cats}); err != nil {
		return nil, nil, err
	}
	if _, err := store.Advance(ctx, p.organiser, id, voting.PhaseSubmission); err != nil {
		return nil, nil, err
	}
	_, _, demo := prizes.DemoEdition(id, nominees)
	byCat := map[string][]string{}
	var ds []prizes.ReviewDecision
	for i, d := range demo {
		s, err := store.CreateSubmission(ctx, p.owner, id, prizes.Entry{
			Category: d.Category, Title: d.Title, Summary: d.Summary + entryMore,
			Organisation: fmt.Sprintf("%s %d", d.Organisation, i), Country: d.Country, Stakeholder: "civil_society", Links: d.Links,
		})
		if err != nil {
			return nil, nil, err
		}
		if _, err := store.SubmitSubmission(ctx, p.owner, id, s.ID); err != nil {
			return nil, nil, err
		}
		byCat[d.Category] = append(byCat[d.Category], s.ID)
		ds = append(ds, prizes.ReviewDecision{ProjectID: s.ID, Decision: prizes.DecisionNominate})
	}
	if _, err := store.Advance(ctx, p.organiser, id, voting.PhaseReview); err != nil {
		return nil, nil, err
	}
	if _, err := store.Review(ctx, p.organiser, id, ds); err != nil {
		return nil, nil, err
	}
	if _, err := store.Advance(ctx, p.organiser, id, voting.PhaseVoting); err != nil {
		return nil, nil, err
	}
	for _, c := range cats {
		categories = append(categories, c.Code)
		projects = append(projects, byCat[c.Code])
	}
	return categories, projects, nil
}

// closeVoting takes a voting edition to counting.
func closeVoting(ctx context.Context, store *ppg.Store, p people, id string) error {
	_, err := store.Advance(ctx, p.organiser, id, voting.PhaseCounting)
	return err
}

// judge takes an edition in counting through the jury, choosing the
// Champions from the ledger, every juror scoring every Champion.
func judge(ctx context.Context, store *ppg.Store, p people, id string) error {
	if _, err := store.Advance(ctx, p.organiser, id, voting.PhaseJury); err != nil {
		return err
	}
	champions, err := store.Champions(ctx, id)
	if err != nil {
		return err
	}
	for _, j := range p.jurors {
		for _, c := range champions {
			if err := store.Assign(ctx, p.organiser, id, j.ID, c.Category); err != nil {
				return err
			}
		}
	}
	for _, j := range p.jurors {
		for _, c := range champions {
			// The k-th Champion gets 10-k on every criterion, so that
			// no two tie.
			k := 0
			for _, n := range c.Nominees {
				if !n.Champion {
					continue
				}
				draft := prizes.ScoreDraft{Scores: map[string]int{}, Comment: "Generated."}
				for _, cr := range prizes.DefaultRubric() {
					draft.Scores[cr.Key] = max(1, 10-k)
				}
				k++
				if _, err := store.SaveScores(ctx, j, id, n.ProjectID, draft); err != nil {
					return err
				}
				if _, err := store.SubmitScores(ctx, j, id, n.ProjectID); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// publish publishes the results of an edition whose jury is done.
func publish(ctx context.Context, store *ppg.Store, p people, id string) error {
	_, err := store.Advance(ctx, p.organiser, id, voting.PhasePublished)
	return err
}

// loadVoters creates the voter accounts [first, first+n) with countries
// spread over a few dozen, in one COPY; the ids are set so that the vote
// stream can address them.
func loadVoters(ctx context.Context, conn *pgx.Conn, first, n int64) error {
	countries := strings.Fields("CH FR DE IN BR NG KE EG CN JP US CA MX AR ZA SA AE PK BD ID PH VN TH MY RU UA PL ES IT GB")
	i := int64(0)
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"accounts"}, []string{"id", "country"}, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		id := first + i
		i++
		// A skewed spread of countries, as in WSIS voting: a few
		// countries bring most voters.
		h := (id * 2654435761) % 997
		c := countries[int(int64(len(countries))*h*h/(997*997))]
		return []any{id, c}, nil
	}))
	if err != nil {
		return fmt.Errorf("load %d voters: %w", n, err)
	}
	if _, err := conn.Exec(ctx, `SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))`); err != nil {
		return fmt.Errorf("load voters: %w", err)
	}
	return nil
}
