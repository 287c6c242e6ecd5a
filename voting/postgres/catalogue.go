package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/internal/poller"
	"github.com/wsisvote/prizes/voting"
)

// catalogueChannel is notified by triggers on editions, categories and
// projects (see the schema).
const catalogueChannel = "prizes_catalogue"

// LoadSnapshot reads every edition, category and project into a snapshot.
func (s *Store) LoadSnapshot(ctx context.Context) (*voting.Snapshot, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("load catalogue: %w", database.Translate(err))
	}
	defer tx.Rollback(ctx)

	rows, _ := tx.Query(ctx, `SELECT id, name, phase, rules, schedule->'voting' FROM editions`)
	editions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (voting.Edition, error) {
		var e voting.Edition
		var phase string
		var rules, window []byte
		if err := r.Scan(&e.ID, &e.Name, &phase, &rules, &window); err != nil {
			return e, err
		}
		w, err := votingWindow(window)
		if err != nil {
			return e, fmt.Errorf("edition %q schedule: %w", e.ID, err)
		}
		e.Window = w
		e.Phase = voting.Phase(phase)
		e.Rules = voting.DefaultRules()
		if err := json.Unmarshal(rules, &e.Rules); err != nil {
			return e, fmt.Errorf("edition %q rules: %w", e.ID, err)
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("load editions: %w", database.Translate(err))
	}

	categories := make(map[string][]voting.Category)
	rows, _ = tx.Query(ctx, `SELECT edition_id, code, name FROM categories ORDER BY edition_id, position, code`)
	var ed string
	var c voting.Category
	if _, err := pgx.ForEachRow(rows, []any{&ed, &c.Code, &c.Name}, func() error {
		categories[ed] = append(categories[ed], c)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load categories: %w", database.Translate(err))
	}

	rows, _ = tx.Query(ctx, `SELECT p.id::text, p.edition_id, p.category_code, p.title, p.organisation, p.country,
			p.summary, p.links, p.status, coalesce(f.thumb_hash, ''), coalesce(f.thumb_width, 0), coalesce(f.thumb_height, 0)
		FROM projects p LEFT JOIN entry_files f ON f.project_id = p.id AND f.kind = 'logo'`)
	projects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (voting.Project, error) {
		var p voting.Project
		var status string
		err := r.Scan(&p.ID, &p.Edition, &p.Category, &p.Title, &p.Organisation, &p.Country, &p.Summary, &p.Links, &status,
			&p.Logo.Hash, &p.Logo.Width, &p.Logo.Height)
		p.Nominated = status == "nominated" || status == "champion" || status == "winner"
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("load projects: %w", database.Translate(err))
	}
	return voting.NewSnapshot(editions, categories, projects), nil
}

// votingWindow reads the voting window of an edition's schedule, the JSON
// {"start": ..., "end": ...} with either time absent, or null for none.
func votingWindow(doc []byte) (voting.Window, error) {
	var w struct {
		Start, End *time.Time
	}
	if len(doc) > 0 {
		if err := json.Unmarshal(doc, &w); err != nil {
			return voting.Window{}, err
		}
	}
	var out voting.Window
	if w.Start != nil {
		out.Opens = *w.Start
	}
	if w.End != nil {
		out.Closes = *w.End
	}
	return out, nil
}

// Watch keeps cat current until ctx ends: it reloads on every change
// notification, and also every poll interval in case a notification was lost
// while the listening connection was down. Errors go to onErr and are retried.
func (s *Store) Watch(ctx context.Context, cat *voting.Catalogue, poll time.Duration, onErr func(error)) {
	if onErr == nil {
		onErr = func(error) {}
	}
	changed := make(chan struct{}, 1)
	go s.listen(ctx, changed, onErr)
	p := poller.Poller{Every: poll, Wake: changed, OnError: onErr,
		Fn: func(ctx context.Context, _ time.Time) error {
			snap, err := s.LoadSnapshot(ctx)
			if err != nil {
				return err
			}
			cat.Replace(snap)
			return nil
		}}
	p.Run(ctx)
}

// listen holds one connection in LISTEN and signals changed on every
// notification (and once after each reconnect, since changes may have been
// missed in between).
func (s *Store) listen(ctx context.Context, changed chan<- struct{}, onErr func(error)) {
	database.Listen(ctx, s.pool, catalogueChannel, changed, onErr)
}
