package voting

import (
	"sort"
	"sync/atomic"
)

// Snapshot is an immutable view of every edition, category and project the
// vote path needs. It is built by a store and swapped in whole, so the hot
// path reads it without locks and without a database query.
type Snapshot struct {
	editions   map[string]Edition
	categories map[string][]Category
	projects   map[string]map[string]Project // edition -> project id -> project
}

// NewSnapshot builds a snapshot from its parts. Projects are listed per
// category in the order given.
func NewSnapshot(editions []Edition, categories map[string][]Category, projects []Project) *Snapshot {
	s := &Snapshot{
		editions:   make(map[string]Edition, len(editions)),
		categories: make(map[string][]Category, len(categories)),
		projects:   make(map[string]map[string]Project),
	}
	for _, e := range editions {
		s.editions[e.ID] = e
	}
	for ed, cs := range categories {
		s.categories[ed] = append([]Category(nil), cs...)
	}
	for _, p := range projects {
		m := s.projects[p.Edition]
		if m == nil {
			m = make(map[string]Project)
			s.projects[p.Edition] = m
		}
		m[p.ID] = p
	}
	return s
}

// Edition returns the edition with the given id.
func (s *Snapshot) Edition(id string) (Edition, bool) {
	e, ok := s.editions[id]
	return e, ok
}

// Editions returns every edition, ordered by id.
func (s *Snapshot) Editions() []Edition {
	out := make([]Edition, 0, len(s.editions))
	for _, e := range s.editions {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Categories returns an edition's categories in display order.
func (s *Snapshot) Categories(edition string) []Category { return s.categories[edition] }

// Project returns one project of an edition.
func (s *Snapshot) Project(edition, id string) (Project, bool) {
	p, ok := s.projects[edition][id]
	return p, ok
}

// Projects returns an edition's projects, those of one category when category
// is not empty, ordered by category then title.
func (s *Snapshot) Projects(edition, category string) []Project {
	var out []Project
	for _, p := range s.projects[edition] {
		if category == "" || p.Category == category {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		if out[i].Title != out[j].Title {
			return out[i].Title < out[j].Title
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Catalogue holds the current snapshot. Loaders replace it when the database
// says something changed; readers always see a complete snapshot.
type Catalogue struct {
	cur atomic.Pointer[Snapshot]
}

// NewCatalogue returns a catalogue holding s (an empty snapshot when nil).
func NewCatalogue(s *Snapshot) *Catalogue {
	c := &Catalogue{}
	if s == nil {
		s = NewSnapshot(nil, nil, nil)
	}
	c.cur.Store(s)
	return c
}

// Snapshot returns the current snapshot.
func (c *Catalogue) Snapshot() *Snapshot { return c.cur.Load() }

// Replace swaps in a new snapshot.
func (c *Catalogue) Replace(s *Snapshot) { c.cur.Store(s) }
