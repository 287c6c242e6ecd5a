package voting

import "sort"

// Difference is one project whose live counter disagrees with the ledger.
type Difference struct {
	ProjectID string `json:"project_id"`
	Live      int64  `json:"live"`
	Ledger    int64  `json:"ledger"`
}

// Compare lists every project whose live count differs from its ledger count,
// ordered by project id. Live counters are a view of the ledger: once the
// vote log is flushed the list must be empty.
func Compare(live map[string]int64, ledger []ProjectCount) []Difference {
	seen := make(map[string]bool, len(ledger))
	var out []Difference
	for _, pc := range ledger {
		seen[pc.ProjectID] = true
		if l := live[pc.ProjectID]; l != pc.Votes {
			out = append(out, Difference{ProjectID: pc.ProjectID, Live: l, Ledger: pc.Votes})
		}
	}
	for id, l := range live {
		if !seen[id] && l != 0 {
			out = append(out, Difference{ProjectID: id, Live: l})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProjectID < out[j].ProjectID })
	return out
}
