package fraudreport

import (
	"embed"
	"strings"

	"github.com/wsisvote/prizes/loadtest/report"
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
func Markdown(r *Report, p Page) (string, error) {
	v := view{Report: r, Title: p.Title, Heading: strings.Repeat("#", max(p.Level, 1)),
		Intro: strings.TrimSpace(p.Intro), Traffic: strings.TrimSpace(p.Traffic),
		AllVotes: r.Honest.Votes + r.Attack.Votes, AllFlagged: r.Honest.Flagged + r.Attack.Flagged}
	if v.Title == "" {
		v.Title = "Fraud analysis on labelled traffic"
	}
	v.Section = v.Heading + "#"
	for _, row := range r.Rows {
		if p.Describe != nil {
			d := described{Label: row.Label, Kind: "attack", Description: p.Describe(row.Label)}
			if row.Honest {
				d.Kind = "honest"
			}
			if d.Description == "" {
				d.Description = "(not described)"
			}
			v.Described = append(v.Described, d)
		}
		if !row.Honest {
			v.Attacks = append(v.Attacks, attackRow{Row: row, Precision: report.Maybe(r.PrecisionOf(row))})
		}
	}
	v.AllPrecision = report.Maybe(r.Precision())
	for _, c := range r.Categories {
		v.Champions = append(v.Champions, champions{Category: c, Left: short(c.Missing), InPlace: short(c.Intruders)})
	}
	return report.Render(templates, "report.md.tmpl", v)
}

//go:embed report.md.tmpl
var templates embed.FS

// view is what the template reads: the report with the page's headings
// and the rows that need more than a field.
type view struct {
	*Report
	Title, Heading, Section string
	Intro, Traffic          string
	AllVotes, AllFlagged    int
	Described               []described
	Attacks                 []attackRow
	AllPrecision            string
	Champions               []champions
}

// described is what one crowd or attack models.
type described struct{ Label, Kind, Description string }

type attackRow struct {
	Row
	Precision string
}

// champions is one category, with the projects left out and those counted
// in their place shown by the start of their ids.
type champions struct {
	Category
	Left, InPlace string
}

// short writes project ids by their first 8 characters, as code.
func short(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "`" + id[:min(8, len(id))] + "`"
	}
	return strings.Join(out, " ")
}
