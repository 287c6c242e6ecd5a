package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/voting"
)

// SeedEdition creates an edition with its categories and projects, and
// leaves anything that already exists as it is, so seeding twice is harmless.
// Projects must carry their ids (seeding derives them deterministically).
func (s *Store) SeedEdition(ctx context.Context, ed voting.Edition, cats []voting.Category, projects []voting.Project) error {
	rules, err := json.Marshal(ed.Rules)
	if err != nil {
		return fmt.Errorf("seed %q: rules: %w", ed.ID, err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO editions (id, name, phase, rules) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING`, ed.ID, ed.Name, string(ed.Phase), rules); err != nil {
			return fmt.Errorf("edition: %w", err)
		}
		b := &pgx.Batch{}
		for i, c := range cats {
			b.Queue(`INSERT INTO categories (edition_id, code, name, position) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, ed.ID, c.Code, c.Name, i+1)
		}
		for _, p := range projects {
			status := "submitted"
			if p.Nominated {
				status = "nominated"
			}
			links := p.Links
			if links == nil {
				links = []string{}
			}
			b.Queue(`INSERT INTO projects (id, edition_id, category_code, title, organisation, country, summary, links, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
				p.ID, ed.ID, p.Category, p.Title, p.Organisation, p.Country, p.Summary, links, status)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("seed %q: %w", ed.ID, database.Translate(err))
	}
	return nil
}
