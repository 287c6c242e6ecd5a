package fraudreport

import (
	"fmt"
	"strings"

	"github.com/wsisvote/prizes/loadtest"
)

// Page is what a rendered report says beside its figures.
type Page struct {
	// Title is the report's heading; "Fraud analysis on labelled traffic"
	// when empty.
	Title string
	// Level is the heading level of the title (1 when zero); the report's
	// sections are one level below it, so that a report can be a section
	// of a larger page.
	Level int
	// Intro is a paragraph on where the traffic and verdicts came from.
	Intro string
	// Describe says in a sentence what a crowd or attack models, "" when
	// it does not know the label.
	Describe func(label string) string
	// Traffic is a Markdown section on what the traffic holds, from its
	// generator.
	Traffic string
}

// Markdown renders the report: the targets, what each crowd and attack
// is, the votes flagged in each, and the Champions of every category.
func Markdown(r *Report, p Page) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	title, h := p.Title, strings.Repeat("#", max(p.Level, 1))
	if title == "" {
		title = "Fraud analysis on labelled traffic"
	}
	w("%s %s\n\n", h, title)
	h += "#"
	if p.Intro != "" {
		w("%s\n\n", strings.TrimSpace(p.Intro))
	}
	all := Row{Votes: r.Honest.Votes + r.Attack.Votes, Flagged: r.Honest.Flagged + r.Attack.Flagged}
	w("%s votes, %s of them from attacks; %s flagged. ", num(all.Votes), num(r.Attack.Votes), num(all.Flagged))
	if r.Met() {
		w("Every target is met.\n\n")
	} else {
		w("**Targets missed.**\n\n")
	}
	w("| target | wanted | got | met |\n|---|---:|---:|---|\n")
	w("| attack votes flagged (recall) | at least %.3f | %.3f | %s |\n", r.Targets.Recall, r.Attack.Share(), yes(r.RecallMet()))
	w("| honest votes flagged | at most %s | %s | %s |\n", pct(r.Targets.HonestFlagged), pct(r.Honest.Share()), yes(r.HonestMet()))
	w("| categories whose Champions are the honest ones | %d of %d | %d | %s |\n\n",
		len(r.Categories), len(r.Categories), r.ChampionsCorrect(), yes(r.ChampionsMet()))

	if p.Describe != nil {
		w("%s Crowds and attacks\n\n", h)
		for _, row := range r.Rows {
			kind := "attack"
			if row.Honest {
				kind = "honest"
			}
			d := p.Describe(row.Label)
			if d == "" {
				d = "(not described)"
			}
			w("- `%s` (%s): %s\n", row.Label, kind, d)
		}
		w("\n")
	}
	if p.Traffic != "" {
		w("%s The traffic\n\n%s\n", h, strings.TrimSpace(p.Traffic)+"\n")
	}

	w("%s Votes flagged\n\n", h)
	w("Honest crowds: the share flagged is the share of honest votes the analyser would wrongly set aside.\n\n")
	w("| crowd | votes | flagged | share flagged |\n|---|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if row.Honest {
			w("| `%s` | %s | %s | %s |\n", row.Label, num(row.Votes), num(row.Flagged), pct(row.Share()))
		}
	}
	w("| **all honest** | %s | %s | %s |\n\n", num(r.Honest.Votes), num(r.Honest.Flagged), pct(r.Honest.Share()))
	w("Attacks: recall is the share of the attack's votes flagged. An attack's precision is what the precision " +
		"would be were it the only attack: its flagged votes over those and every flagged honest vote.\n\n")
	w("| attack | votes | flagged | recall | precision | recall at least %.2f |\n|---|---:|---:|---:|---:|---|\n", r.Targets.Recall)
	for _, row := range r.Rows {
		if !row.Honest {
			prec, ok := r.PrecisionOf(row)
			w("| `%s` | %s | %s | %.3f | %s | %s |\n", row.Label, num(row.Votes), num(row.Flagged), row.Share(),
				maybe(prec, ok), yes(row.Share() >= r.Targets.Recall))
		}
	}
	prec, ok := r.Precision()
	w("| **all attacks** | %s | %s | %.3f | %s | %s |\n\n", num(r.Attack.Votes), num(r.Attack.Flagged), r.Attack.Share(),
		maybe(prec, ok), yes(r.RecallMet()))

	w("%s Champions\n\n", h)
	w("%d of %d categories have the Champions the honest votes alone make. Champions are the top %d by the votes "+
		"left counted (not flagged); the reference is the top %d of honest votes alone, whether flagged or not. "+
		"Ties at the cut are broken by project id, smallest first. The margin is the honest votes of the last "+
		"Champion minus those of the first project below the cut. Projects are shown by the first 8 characters of their id.\n\n",
		r.ChampionsCorrect(), len(r.Categories), r.Targets.Champions, r.Targets.Champions)
	w("| category | right | honest margin at the cut | honest Champions left out | counted in their place |\n|---|---|---:|---|---|\n")
	for _, c := range r.Categories {
		w("| %s | %s | %s | %s | %s |\n", c.Category, yes(c.Correct()), num(c.Margin), short(c.Missing), short(c.Intruders))
	}
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

func maybe(x float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

func short(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "`" + id[:min(8, len(id))] + "`"
	}
	return strings.Join(out, " ")
}

// num writes n with thousands separators.
func num(n int) string { return loadtest.Count(int64(n)) }
