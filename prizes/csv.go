package prizes

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ResultsCSVHeader is the header row of WriteResultsCSV.
func ResultsCSVHeader() []string {
	return []string{
		"edition", "category", "project_id", "title", "organisation", "country",
		"votes", "vote_rank", "champion", "jury_aggregate", "jury_rank", "winner",
	}
}

// WriteResultsCSV writes one row per nominee: its votes and place, and for
// Champions the jury aggregate and place. It is a view of the signed JSON
// document, which stays the reference.
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

// cell keeps a text cell from being read as a formula by a spreadsheet: a
// value starting with =, +, -, @ or a tab gets a leading apostrophe, which
// spreadsheets hide.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
