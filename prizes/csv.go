package prizes

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ResultsCSVHeader is the header row of WriteResultsCSV.
func ResultsCSVHeader() []string {
	return []string{
		"edition", "category", "project_id", "title", "organisation", "country",
		"votes", "vote_rank", "champion", "jury_aggregate", "jury_rank", "winner",
		"invalidated", "invalidated_reasons",
	}
}

// WriteResultsCSV writes one row per nominee: its votes and place, for
// Champions the jury aggregate and place, and the votes fraud review
// invalidated with their reason codes (code:count, separated by ";"). It is
// a view of the signed JSON document, which stays the reference.
func WriteResultsCSV(w io.Writer, r Results) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ResultsCSVHeader()); err != nil {
		return fmt.Errorf("write results csv: %w", err)
	}
	for _, c := range r.Categories {
		jury := map[string]JuryStanding{}
		for _, s := range c.Jury.Standings {
			jury[s.ProjectID] = s
		}
		for _, n := range c.Champions.Nominees {
			row := []string{
				r.Edition, c.Code, n.ProjectID, cell(n.Title), cell(n.Organisation), n.Country,
				strconv.FormatInt(n.Votes, 10), strconv.Itoa(n.Rank), strconv.FormatBool(n.Champion), "", "", "false",
				strconv.FormatInt(n.Invalidated, 10), reasonCounts(n.InvalidatedReasons),
			}
			if s, ok := jury[n.ProjectID]; ok {
				row[9] = strconv.FormatFloat(s.Aggregate, 'f', -1, 64)
				row[10] = strconv.Itoa(s.Rank)
				row[11] = strconv.FormatBool(s.Winner)
			}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write results csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write results csv: %w", err)
	}
	return nil
}

// reasonCounts writes reason code counts as code:count pairs in code order,
// separated by ";".
func reasonCounts(m map[string]int64) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = c + ":" + strconv.FormatInt(m[c], 10)
	}
	return cell(strings.Join(parts, ";"))
}

// cell keeps a text cell from being read as a formula by a spreadsheet: a
// value starting with =, +, -, @ or a tab gets a leading apostrophe, which
// spreadsheets hide.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// EntriesCSVHeader is the header row of WriteEntriesCSV.
func EntriesCSVHeader() []string {
	return []string{
		"edition", "category", "project_id", "status", "title", "organisation", "country",
		"stakeholder_type", "summary", "links", "reason", "submitted_at", "logo", "attachments",
	}
}

// WriteEntriesCSV writes one row per entry, in the order given, for the
// organisers: its content and status, its links separated by blanks, and
// its files by name (the logo's, and the attachments' separated by ";").
// files maps an entry's id to its files, as FileStore.FilesOf gives them.
func WriteEntriesCSV(w io.Writer, edition string, entries []Submission, files map[string][]File) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(EntriesCSVHeader()); err != nil {
		return fmt.Errorf("write entries csv: %w", err)
	}
	for _, e := range entries {
		var logo string
		var attachments []string
		for _, f := range files[e.ID] {
			if f.Kind == FileLogo {
				logo = f.Name
			} else {
				attachments = append(attachments, f.Name)
			}
		}
		submitted := ""
		if !e.SubmittedAt.IsZero() {
			submitted = e.SubmittedAt.UTC().Format(time.RFC3339)
		}
		row := []string{
			edition, e.Category, e.ID, string(e.Status), cell(e.Title), cell(e.Organisation), e.Country,
			e.Stakeholder, cell(e.Summary), cell(strings.Join(e.Links, " ")), cell(e.Reason), submitted,
			cell(logo), cell(strings.Join(attachments, ";")),
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write entries csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write entries csv: %w", err)
	}
	return nil
}
