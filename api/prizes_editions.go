package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

type categoryJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type editionJSON struct {
	ID    string       `json:"id"`
	Name  string       `json:"name"`
	Phase voting.Phase `json:"phase"`
	// Rules are the canonical rules document; RulesHash is the SHA-256 of
	// exactly these bytes, so anyone can check it.
	Rules         json.RawMessage `json:"rules"`
	RulesHash     string          `json:"rules_hash"`
	RulesFrozen   bool            `json:"rules_frozen"`
	RulesFrozenAt *time.Time      `json:"rules_frozen_at"`
	// NextPhase is where the edition goes next; empty once published.
	NextPhase  voting.Phase    `json:"next_phase,omitempty"`
	Schedule   prizes.Schedule `json:"schedule"`
	Categories []categoryJSON  `json:"categories"`
}

func editionOf(ed prizes.Edition) editionJSON {
	out := editionJSON{
		ID: ed.ID, Name: ed.Name, Phase: ed.Phase,
		Rules: ed.Rules.Canonical(), RulesHash: ed.Rules.Hash(), RulesFrozen: ed.Frozen(),
		Schedule: ed.Schedule, Categories: make([]categoryJSON, len(ed.Categories)),
	}
	// The hash recorded when voting opened is the reference; the rules
	// cannot change afterwards, so the two agree unless the database was
	// edited behind the service's back, which the published results show.
	if ed.RulesHash != "" {
		out.RulesHash = ed.RulesHash
	}
	if !ed.RulesFrozenAt.IsZero() {
		t := ed.RulesFrozenAt
		out.RulesFrozenAt = &t
	}
	if out.Schedule == nil {
		out.Schedule = prizes.Schedule{}
	}
	out.NextPhase, _ = prizes.NextPhase(ed.Phase)
	for i, c := range ed.Categories {
		out.Categories[i] = categoryJSON{Code: c.Code, Name: c.Name}
	}
	return out
}

type editionsResponse struct {
	Editions []editionJSON `json:"editions"`
}

// listEditions is GET /editions: every edition, newest first.
func (l *lifecycle) listEditions(c *gin.Context) {
	eds, err := l.cfg.Editions.Editions(c.Request.Context())
	if err != nil {
		l.fail(c, err)
		return
	}
	out := editionsResponse{Editions: make([]editionJSON, len(eds))}
	for i, ed := range eds {
		out.Editions[i] = editionOf(ed)
	}
	c.JSON(http.StatusOK, out)
}

// getEdition is GET /editions/:edition: the edition, its phase, its rules
// and their hash, its schedule and categories. It is public, so anyone can
// see the rules a contest runs under.
func (l *lifecycle) getEdition(c *gin.Context) {
	ed, err := l.cfg.Editions.Edition(c.Request.Context(), c.Param("edition"))
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, editionOf(ed))
}

// newEditionJSON is the body of POST /editions, prizes.NewEdition under the
// names the API documents. Rules stay JSON, as the domain takes them, once
// checkRules has held them to the names of prizes.Rules.
type newEditionJSON struct {
	ID         string                      `json:"id"`
	Name       string                      `json:"name"`
	Categories []categoryJSON              `json:"categories"`
	Rules      jsontext.Value              `json:"rules"`
	Schedule   map[voting.Phase]windowJSON `json:"schedule"`
}

// createEdition is POST /editions.
func (l *lifecycle) createEdition(c *gin.Context) {
	var req newEditionJSON
	if err := decodeBody(c, maxLifecycleBody, &req); err != nil {
		l.fail(c, fmt.Errorf("create edition: %w", err))
		return
	}
	if len(req.Rules) > 0 && req.Rules.Kind() != 'n' {
		if err := checkRules(req.Rules, "/rules"); err != nil {
			l.fail(c, fmt.Errorf("create edition: %w", err))
			return
		}
	}
	sched, err := scheduleOf(req.Schedule)
	if err != nil {
		l.fail(c, fmt.Errorf("create edition: %w", err))
		return
	}
	n := prizes.NewEdition{ID: req.ID, Name: req.Name, Rules: json.RawMessage(req.Rules), Schedule: sched}
	for _, cat := range req.Categories {
		n.Categories = append(n.Categories, voting.Category{Code: cat.Code, Name: cat.Name})
	}
	act(l, c, http.StatusCreated, func(ctx context.Context, a prizes.Actor) (prizes.Edition, error) {
		return l.cfg.Editions.CreateEdition(ctx, a, n)
	}, func(ed prizes.Edition) any { return editionOf(ed) })
}

// updateRules is PATCH /editions/:edition/rules: a JSON object of settings
// to change, until voting opens.
func (l *lifecycle) updateRules(c *gin.Context) {
	body, err := readBody(c, maxLifecycleBody)
	if err == nil {
		err = checkRules(body, "")
	}
	if err != nil {
		l.fail(c, fmt.Errorf("update rules: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Edition, error) {
		return l.cfg.Editions.UpdateRules(ctx, a, c.Param("edition"), body)
	}, func(ed prizes.Edition) any { return editionOf(ed) })
}

type advanceRequest struct {
	Phase voting.Phase `json:"phase"`
}

// advance is POST /editions/:edition/phase with {"phase": NEXT}. Naming the
// phase, rather than "next", makes a repeated request harmless: the second
// one is refused as a wrong phase instead of skipping one.
func (l *lifecycle) advance(c *gin.Context) {
	var req advanceRequest
	if err := decodeBody(c, maxLifecycleBody, &req); err != nil {
		l.fail(c, fmt.Errorf("advance: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Edition, error) {
		return l.cfg.Editions.Advance(ctx, a, c.Param("edition"), req.Phase)
	}, func(ed prizes.Edition) any { return editionOf(ed) })
}
