package prizes

import (
	"strconv"
	"time"
)

// Assignment puts a juror on a category's panel.
type Assignment struct {
	JurorID    int64     `json:"juror_id"`
	Category   string    `json:"category"`
	AssignedAt time.Time `json:"assigned_at"`
}

// Conflict is a juror's declared conflict of interest with a project; the
// juror cannot score it.
type Conflict struct {
	JurorID    int64     `json:"juror_id"`
	ProjectID  string    `json:"project_id"`
	Reason     string    `json:"reason"`
	DeclaredAt time.Time `json:"declared_at"`
}

// JurorProject is a project as its juror sees it.
type JurorProject struct {
	Submission
	Conflict  *Conflict
	Scorecard *Scorecard
}

// JurorCategory is one category of a juror's panel.
type JurorCategory struct {
	Code     string
	Name     string
	Projects []JurorProject
}

// JurorView is everything a juror may see: their own categories, the
// projects in them (the nominees, and once the jury phase opens the
// Champions only), their own conflicts and scorecards. Nothing about other
// jurors.
type JurorView struct {
	Edition    string
	Phase      string
	Rubric     []Criterion
	Categories []JurorCategory
}

// JuryProgress is how far a category's panel has come.
type JuryProgress struct {
	Category string  `json:"category"`
	Jurors   []int64 `json:"jurors"`
	// Expected is the scorecards the panel owes: each juror for each
	// Champion, less declared conflicts.
	Expected  int `json:"expected"`
	Submitted int `json:"submitted"`
	Drafts    int `json:"drafts"`
	Conflicts int `json:"conflicts"`
}

// JuryReportCategory is one category of the organisers' jury report.
type JuryReportCategory struct {
	Progress JuryProgress `json:"progress"`
	// Result is the provisional jury result over the scorecards submitted
	// so far, jurors named by account id.
	Result CategoryJury `json:"result"`
	// Problem says what still stands in the way of publishing, if anything.
	Problem string `json:"problem,omitempty"`
}

// JuryReport is the organisers' view of the jury phase.
type JuryReport struct {
	Edition    string               `json:"edition"`
	Categories []JuryReportCategory `json:"categories"`
}

// BuildJuryReport computes the provisional jury results from the scorecards
// submitted so far, with each panel's progress.
func BuildJuryReport(ed Edition, champions []CategoryChampions, assignments []Assignment, conflicts []Conflict, scorecards []Scorecard, decisions []TieDecision) JuryReport {
	rep := JuryReport{Edition: ed.ID, Categories: []JuryReportCategory{}}
	ids := map[int64]string{}
	for _, s := range scorecards {
		ids[s.JurorID] = strconv.FormatInt(s.JurorID, 10)
	}
	for i, cc := range champions {
		cat := ed.Categories[i]
		prog := JuryProgress{Category: cat.Code, Jurors: []int64{}}
		champs := map[string]bool{}
		for _, id := range cc.Champions() {
			champs[id] = true
		}
		for _, a := range assignments {
			if a.Category == cat.Code {
				prog.Jurors = append(prog.Jurors, a.JurorID)
			}
		}
		prog.Expected = len(prog.Jurors) * len(champs)
		onPanel := map[int64]bool{}
		for _, j := range prog.Jurors {
			onPanel[j] = true
		}
		for _, c := range conflicts {
			if onPanel[c.JurorID] && champs[c.ProjectID] {
				prog.Conflicts++
				prog.Expected--
			}
		}
		for _, s := range scorecards {
			if !champs[s.ProjectID] {
				continue
			}
			if s.Submitted() {
				prog.Submitted++
			} else {
				prog.Drafts++
			}
		}
		contenders, cards := juryInputs(cc, scorecards, ids)
		res, err := JudgeCategory(ed.Rules, cat, contenders, cards, findDecision(decisions, StageWinners, cat.Code))
		rc := JuryReportCategory{Progress: prog, Result: res}
		switch {
		case err != nil:
			rc.Problem = err.Error()
		case len(prog.Jurors) == 0 && len(champs) > 0:
			rc.Problem = "no juror is assigned to this category"
		}
		rep.Categories = append(rep.Categories, rc)
	}
	return rep
}
