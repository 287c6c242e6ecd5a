package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/wsisvote/prizes/loadtest/scenario"
)

// client calls the prize lifecycle routes of the API as organisers and
// jurors do.
type client struct {
	base    string
	edition string
	http    *http.Client
}

// apiError is an answer other than the one wanted.
type apiError struct {
	Method, Path string
	Status       int
	Code         string
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// call sends body as JSON with token and decodes a 2xx answer into out.
// Any other answer is an *apiError.
func (c *client) call(ctx context.Context, method, path, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1/editions/"+c.edition+path, r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &apiError{Method: method, Path: path, Status: resp.StatusCode, Code: e.Error.Code, Body: strings.TrimSpace(string(raw))}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// advance moves the edition to phase to.
func (c *client) advance(ctx context.Context, organiser, to string) error {
	return c.call(ctx, http.MethodPost, "/phase", organiser, map[string]string{"phase": to}, nil)
}

// closeCounting moves the edition from counting to jury, choosing the
// Champions. A tie at a cut that the rules leave to the organiser is
// decided in the preview's order, with the reason recorded, and the move
// tried again; it reports how many ties it decided.
func (c *client) closeCounting(ctx context.Context, organiser string) (int, error) {
	err := c.advance(ctx, organiser, "jury")
	var ae *apiError
	if err == nil || !asAPIError(err, &ae) || ae.Code != "tie_unresolved" {
		return 0, err
	}
	var preview struct {
		Ties []struct {
			Stage    string   `json:"stage"`
			Category string   `json:"category"`
			Projects []string `json:"projects"`
		} `json:"ties"`
	}
	if err := c.call(ctx, http.MethodGet, "/champions/preview", organiser, nil, &preview); err != nil {
		return 0, err
	}
	for _, t := range preview.Ties {
		d := map[string]any{"stage": t.Stage, "category": t.Category, "order": t.Projects,
			"reason": "replay: tied at the cut; decided in listing order"}
		if err := c.call(ctx, http.MethodPost, "/ties", organiser, d, nil); err != nil {
			return 0, err
		}
	}
	return len(preview.Ties), c.advance(ctx, organiser, "jury")
}

func asAPIError(err error, target **apiError) bool {
	ae, ok := err.(*apiError)
	if ok {
		*target = ae
	}
	return ok
}

// juror is one juror account of the simulated jury.
type juror struct {
	id    int64
	token string
}

// JuryOutcome is what the simulated jury did.
type JuryOutcome struct {
	Jurors      int `json:"jurors"`
	Assignments int `json:"assignments"`
	Scorecards  int `json:"scorecards"`
	Conflicts   int `json:"conflicts"`
	Requests    int `json:"requests"`
}

type jurorView struct {
	Rubric []struct {
		Key string `json:"key"`
	} `json:"rubric"`
	ScoreMin   int `json:"score_min"`
	ScoreMax   int `json:"score_max"`
	Categories []struct {
		Code     string `json:"code"`
		Projects []struct {
			ID string `json:"id"`
		} `json:"projects"`
	} `json:"categories"`
}

// runJury assigns the jurors to their panels, lets the first few
// (juror, Champion) pairs declare a conflict of interest, and has every
// juror score and submit every other Champion of its panels on the rubric.
// Scores are a deterministic function of juror, project and criterion.
// Jurors work concurrently, as they would.
func (c *client) runJury(ctx context.Context, organiser string, jurors []juror, j scenario.Jury, categories []string) (JuryOutcome, error) {
	out := JuryOutcome{Jurors: len(jurors)}
	for ci, cat := range categories {
		for _, k := range j.Panel(ci) {
			if err := c.call(ctx, http.MethodPut, "/jury/assignments", organiser,
				map[string]any{"juror_id": jurors[k].id, "category": cat}, nil); err != nil {
				return out, err
			}
			out.Assignments++
			out.Requests++
		}
	}
	champions, err := c.champions(ctx)
	if err != nil {
		return out, err
	}
	out.Requests++
	plan := planConflicts(j, categories, champions)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(jurors))
	for k := range jurors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, conflicts, reqs, err := c.score(ctx, jurors[k], plan[k])
			errs[k] = err
			mu.Lock()
			out.Scorecards += n
			out.Conflicts += conflicts
			out.Requests += reqs
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// planConflicts decides which juror declares a conflict on which
// Champion: conflict n falls in category n mod C, on a Champion not chosen
// before, and goes to a member of that category's panel. Each Champion gets
// at most one conflict while there are Champions left, so none is left
// without a scorecard. It returns the conflicted projects by juror index.
func planConflicts(j scenario.Jury, categories []string, champions map[string][]string) []map[string]bool {
	plan := make([]map[string]bool, j.Jurors)
	for k := range plan {
		plan[k] = map[string]bool{}
	}
	if len(categories) == 0 {
		return plan
	}
	for n := 0; n < j.Conflicts; n++ {
		ci := n % len(categories)
		round := n / len(categories)
		cs, panel := champions[categories[ci]], j.Panel(ci)
		if len(cs) == 0 || len(panel) == 0 {
			continue
		}
		plan[panel[round%len(panel)]][cs[round%len(cs)]] = true
	}
	return plan
}

// score is one juror's work: its view, its conflicts, its scorecards.
func (c *client) score(ctx context.Context, jr juror, conflicted map[string]bool) (scored, conflicts, requests int, err error) {
	var v jurorView
	requests++
	if err := c.call(ctx, http.MethodGet, "/jury/me", jr.token, nil, &v); err != nil {
		return 0, 0, requests, err
	}
	var projects []string
	for _, cat := range v.Categories {
		for _, p := range cat.Projects {
			projects = append(projects, p.ID)
		}
	}
	lo, hi := max(v.ScoreMin, 1), max(v.ScoreMax, v.ScoreMin, 1)
	for _, p := range projects {
		if conflicted[p] {
			requests++
			if err := c.call(ctx, http.MethodPost, "/jury/conflicts", jr.token,
				map[string]string{"project_id": p, "reason": "replay: worked with the project's organisation"}, nil); err != nil {
				return scored, conflicts, requests, err
			}
			conflicts++
			continue
		}
		scores := map[string]int{}
		for _, cr := range v.Rubric {
			h := mix(uint64(jr.id)*0x9e3779b97f4a7c15 ^ hashString(p+"/"+cr.Key))
			scores[cr.Key] = lo + int(h%uint64(hi-lo+1))
		}
		requests += 2
		if err := c.call(ctx, http.MethodPut, "/jury/scores/"+p, jr.token, map[string]any{"scores": scores}, nil); err != nil {
			return scored, conflicts, requests, err
		}
		if err := c.call(ctx, http.MethodPost, "/jury/scores/"+p+"/submit", jr.token, nil, nil); err != nil {
			return scored, conflicts, requests, err
		}
		scored++
	}
	return scored, conflicts, requests, nil
}

// Winner is one published Winner.
type Winner struct {
	Category  string `json:"category"`
	ProjectID string `json:"project_id"`
}

// winners reads the Winners from the published results.
func (c *client) winners(ctx context.Context) ([]Winner, error) {
	var signed struct {
		Document json.RawMessage `json:"document"`
	}
	if err := c.call(ctx, http.MethodGet, "/results", "", nil, &signed); err != nil {
		return nil, err
	}
	var doc struct {
		Categories []struct {
			Code    string `json:"code"`
			Winners []struct {
				ProjectID string `json:"project_id"`
			} `json:"winners"`
		} `json:"categories"`
	}
	if err := json.Unmarshal(signed.Document, &doc); err != nil {
		return nil, fmt.Errorf("results document: %w", err)
	}
	var out []Winner
	for _, cat := range doc.Categories {
		for _, w := range cat.Winners {
			out = append(out, Winner{Category: cat.Code, ProjectID: w.ProjectID})
		}
	}
	slices.SortFunc(out, func(a, b Winner) int { return strings.Compare(a.Category, b.Category) })
	return out, nil
}

// champions returns the Champions of each category, best first.
func (c *client) champions(ctx context.Context) (map[string][]string, error) {
	var out struct {
		Categories []struct {
			Category string `json:"category"`
			Nominees []struct {
				ProjectID string `json:"project_id"`
				Champion  bool   `json:"champion"`
			} `json:"nominees"`
		} `json:"categories"`
	}
	if err := c.call(ctx, http.MethodGet, "/champions", "", nil, &out); err != nil {
		return nil, err
	}
	m := map[string][]string{}
	for _, cat := range out.Categories {
		for _, nom := range cat.Nominees {
			if nom.Champion {
				m[cat.Category] = append(m[cat.Category], nom.ProjectID)
			}
		}
	}
	return m, nil
}

// championCount returns how many Champions the edition has.
func (c *client) championCount(ctx context.Context) (int, error) {
	m, err := c.champions(ctx)
	n := 0
	for _, cs := range m {
		n += len(cs)
	}
	return n, err
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// parseAccount reads the account_id<TAB>token line of prizes account.
func parseAccount(out []byte) (juror, error) {
	id, tok, ok := strings.Cut(strings.TrimSpace(string(out)), "\t")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || tok == "" {
		return juror{}, fmt.Errorf("prizes account printed %q; want account_id<TAB>token", out)
	}
	return juror{id: n, token: tok}, nil
}
