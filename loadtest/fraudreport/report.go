// Package fraudreport judges the fraud analyser on labelled traffic: from
// the votes, their labels and the analyser's verdicts it counts, for each
// honest crowd and each attack, how many votes were flagged, and checks
// whether the Champions of the votes left counted are those the honest
// votes alone would make.
//
// A Judge takes the three inputs line by line and keeps only what the
// report needs, so a month at WSIS scale fits easily in memory; ReadFiles
// feeds it from the files and Markdown renders the result.
package fraudreport

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wsisvote/prizes/antifraud"
)

// Targets are what the analyser must achieve on every traffic file.
type Targets struct {
	// Recall is the least share of attack votes that must be flagged.
	Recall float64 `json:"recall"`
	// HonestFlagged is the largest share of honest votes that may be
	// flagged.
	HonestFlagged float64 `json:"honest_flagged"`
	// Champions is how many projects per category become Champions.
	Champions int `json:"champions"`
}

// DefaultTargets are the targets of the antifraud issue: recall 0.95, at
// most 0.5% of honest votes flagged, the top five of every category right.
func DefaultTargets() Targets { return Targets{Recall: 0.95, HonestFlagged: 0.005, Champions: 5} }

// Judge collects votes, labels and verdicts and makes the report. Votes
// come first; labels and verdicts may then come in any order.
type Judge struct {
	targets Targets
	index   map[string]int32
	vote    []voteFacts
	labels  []string
	honest  []bool
	labelOf map[string]int32
	project []string
	projOf  map[string]int32
	projCat []int32
	cats    []string
	catOf   map[string]int32
}

// voteFacts is what the report keeps of one vote.
type voteFacts struct {
	project int32
	label   int32 // -1 until labelled
	status  int8  // unknown, counted or flagged
}

const (
	statusUnknown int8 = iota
	statusCounted
	statusFlagged
)

// NewJudge returns a judge for targets t.
func NewJudge(t Targets) *Judge {
	return &Judge{targets: t, index: map[string]int32{}, labelOf: map[string]int32{},
		projOf: map[string]int32{}, catOf: map[string]int32{}}
}

// Vote adds one vote of the traffic. A vote id seen before, or a project
// seen before in another category, is an error.
func (j *Judge) Vote(v antifraud.Vote) error {
	if v.VoteID == "" || v.ProjectID == "" || v.Category == "" {
		return fmt.Errorf("vote %q: vote_id, project_id and category are required", v.VoteID)
	}
	if _, ok := j.index[v.VoteID]; ok {
		return fmt.Errorf("vote %s appears twice", v.VoteID)
	}
	c, ok := j.catOf[v.Category]
	if !ok {
		c = int32(len(j.cats))
		j.cats = append(j.cats, v.Category)
		j.catOf[v.Category] = c
	}
	p, ok := j.projOf[v.ProjectID]
	if !ok {
		p = int32(len(j.project))
		j.project = append(j.project, v.ProjectID)
		j.projCat = append(j.projCat, c)
		j.projOf[v.ProjectID] = p
	} else if j.projCat[p] != c {
		return fmt.Errorf("vote %s: project %s is in category %s, not %s", v.VoteID, v.ProjectID, j.cats[j.projCat[p]], v.Category)
	}
	j.index[v.VoteID] = int32(len(j.vote))
	j.vote = append(j.vote, voteFacts{project: p, label: -1})
	return nil
}

// Label adds the label of one vote already added. A label name is honest
// or not, the same on every line.
func (j *Judge) Label(l antifraud.Label) error {
	i, ok := j.index[l.VoteID]
	if !ok {
		return fmt.Errorf("label for vote %q, which is not in the votes", l.VoteID)
	}
	if l.Label == "" {
		return fmt.Errorf("vote %s: empty label", l.VoteID)
	}
	if j.vote[i].label >= 0 {
		return fmt.Errorf("vote %s is labelled twice", l.VoteID)
	}
	k, ok := j.labelOf[l.Label]
	if !ok {
		k = int32(len(j.labels))
		j.labels = append(j.labels, l.Label)
		j.honest = append(j.honest, l.Honest)
		j.labelOf[l.Label] = k
	} else if j.honest[k] != l.Honest {
		return fmt.Errorf("vote %s: label %s is honest on one line and not on another", l.VoteID, l.Label)
	}
	j.vote[i].label = k
	return nil
}

// Verdict adds the analyser's verdict on one vote already added.
func (j *Judge) Verdict(v antifraud.Verdict) error {
	i, ok := j.index[v.VoteID]
	if !ok {
		return fmt.Errorf("verdict for vote %q, which is not in the votes", v.VoteID)
	}
	if j.vote[i].status != statusUnknown {
		return fmt.Errorf("vote %s has two verdicts", v.VoteID)
	}
	switch v.Status {
	case antifraud.StatusCounted:
		j.vote[i].status = statusCounted
	case antifraud.StatusFlagged:
		j.vote[i].status = statusFlagged
	default:
		return fmt.Errorf("vote %s: status %q is neither %s nor %s", v.VoteID, v.Status, antifraud.StatusCounted, antifraud.StatusFlagged)
	}
	return nil
}

// Report is the judgement of one analysis of one traffic file.
type Report struct {
	Targets Targets `json:"targets"`
	// Rows are the honest crowds, then the attacks, each by name.
	Rows   []Row `json:"rows"`
	Honest Row   `json:"honest"`
	Attack Row   `json:"attack"`
	// Categories are in natural order: C2 before C10.
	Categories []Category `json:"categories"`
}

// Row is the votes of one label, or of all honest or all attack labels.
type Row struct {
	Label   string `json:"label"`
	Honest  bool   `json:"honest"`
	Votes   int    `json:"votes"`
	Flagged int    `json:"flagged"`
}

// Share is the share of the row's votes flagged: recall for an attack,
// the false positive rate for honest votes. It is 0 for no votes.
func (r Row) Share() float64 { return ratio(r.Flagged, r.Votes) }

// Category is the Champions of one category two ways: by the votes left
// counted, and by the honest votes alone.
type Category struct {
	Category string `json:"category"`
	// Honest and Counted are the top Targets.Champions, best first.
	Honest  []Standing `json:"honest"`
	Counted []Standing `json:"counted"`
	// Margin is the honest votes of the last Champion minus those of the
	// first project below the cut; 0 means a tie broken by project id.
	Margin int `json:"margin"`
	// Missing are honest Champions not among the counted ones; Intruders
	// the counted Champions that took their place.
	Missing   []string `json:"missing"`
	Intruders []string `json:"intruders"`
}

// Correct reports whether the counted Champions are the honest ones.
func (c Category) Correct() bool { return len(c.Missing) == 0 && len(c.Intruders) == 0 }

// Standing is one project's votes.
type Standing struct {
	Project string `json:"project"`
	Votes   int    `json:"votes"`
}

// Report makes the report. Every vote must have a label and a verdict.
func (j *Judge) Report() (*Report, error) {
	if j.targets.Champions <= 0 {
		return nil, errors.New("report: the number of Champions must be positive")
	}
	var noLabel, noVerdict []string
	ids := make([]string, len(j.vote))
	for id, i := range j.index {
		ids[i] = id
	}
	for i, v := range j.vote {
		if v.label < 0 {
			noLabel = append(noLabel, ids[i])
		}
		if v.status == statusUnknown {
			noVerdict = append(noVerdict, ids[i])
		}
	}
	if len(noLabel) > 0 || len(noVerdict) > 0 {
		return nil, fmt.Errorf("report: %d votes have no label (%s) and %d no verdict (%s)",
			len(noLabel), first(noLabel), len(noVerdict), first(noVerdict))
	}
	rep := &Report{Targets: j.targets,
		Honest: Row{Label: "all honest", Honest: true}, Attack: Row{Label: "all attacks"}}
	rows := make([]Row, len(j.labels))
	for k, l := range j.labels {
		rows[k] = Row{Label: l, Honest: j.honest[k]}
	}
	honestVotes := make([]int, len(j.project))
	counted := make([]int, len(j.project))
	for _, v := range j.vote {
		flagged := v.status == statusFlagged
		row := &rows[v.label]
		total := &rep.Attack
		if row.Honest {
			total = &rep.Honest
			honestVotes[v.project]++
		}
		row.Votes++
		total.Votes++
		if flagged {
			row.Flagged++
			total.Flagged++
		} else {
			counted[v.project]++
		}
	}
	slices.SortFunc(rows, func(a, b Row) int {
		if a.Honest != b.Honest {
			if a.Honest {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label, b.Label)
	})
	rep.Rows = rows
	for c, name := range j.cats {
		rep.Categories = append(rep.Categories, j.category(int32(c), name, honestVotes, counted))
	}
	slices.SortFunc(rep.Categories, func(a, b Category) int { return natural(a.Category, b.Category) })
	return rep, nil
}

func (j *Judge) category(c int32, name string, honest, counted []int) Category {
	var projects []int32
	for p, pc := range j.projCat {
		if pc == c {
			projects = append(projects, int32(p))
		}
	}
	top := func(tally []int) []Standing {
		ps := slices.Clone(projects)
		slices.SortFunc(ps, func(a, b int32) int {
			return cmp.Or(cmp.Compare(tally[b], tally[a]), strings.Compare(j.project[a], j.project[b]))
		})
		out := make([]Standing, 0, len(ps))
		for _, p := range ps {
			out = append(out, Standing{Project: j.project[p], Votes: tally[p]})
		}
		return out
	}
	h, k := top(honest), top(counted)
	n := j.targets.Champions
	cat := Category{Category: name, Honest: h[:min(n, len(h))], Counted: k[:min(n, len(k))]}
	if len(h) > n {
		cat.Margin = h[n-1].Votes - h[n].Votes
	}
	in := func(s []Standing, id string) bool {
		return slices.ContainsFunc(s, func(x Standing) bool { return x.Project == id })
	}
	for _, s := range cat.Honest {
		if !in(cat.Counted, s.Project) {
			cat.Missing = append(cat.Missing, s.Project)
		}
	}
	for _, s := range cat.Counted {
		if !in(cat.Honest, s.Project) {
			cat.Intruders = append(cat.Intruders, s.Project)
		}
	}
	return cat
}

// Precision is the share of flagged votes that are attack votes, and
// whether anything was flagged at all.
func (r *Report) Precision() (float64, bool) {
	f := r.Attack.Flagged + r.Honest.Flagged
	return ratio(r.Attack.Flagged, f), f > 0
}

// PrecisionOf is the precision the analyser would have if row were the
// only attack in the traffic: its flagged votes over those and every
// flagged honest vote.
func (r *Report) PrecisionOf(row Row) (float64, bool) {
	f := row.Flagged + r.Honest.Flagged
	return ratio(row.Flagged, f), f > 0
}

// ChampionsCorrect is the number of categories whose counted Champions
// are the honest ones.
func (r *Report) ChampionsCorrect() int {
	n := 0
	for _, c := range r.Categories {
		if c.Correct() {
			n++
		}
	}
	return n
}

// RecallMet reports whether enough attack votes were flagged; traffic
// without attacks meets it.
func (r *Report) RecallMet() bool {
	return r.Attack.Votes == 0 || r.Attack.Share() >= r.Targets.Recall
}

// HonestMet reports whether few enough honest votes were flagged.
func (r *Report) HonestMet() bool { return r.Honest.Share() <= r.Targets.HonestFlagged }

// ChampionsMet reports whether every category's Champions are right.
func (r *Report) ChampionsMet() bool { return r.ChampionsCorrect() == len(r.Categories) }

// Met reports whether every target is met.
func (r *Report) Met() bool { return r.RecallMet() && r.HonestMet() && r.ChampionsMet() }

// natural compares a and b with runs of digits compared as numbers.
func natural(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func first(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return "first " + ids[0]
}
