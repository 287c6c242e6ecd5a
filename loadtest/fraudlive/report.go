package fraudlive

import (
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest/fraudreport"
	"github.com/wsisvote/prizes/loadtest/report"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Report is what a live run found.
type Report struct {
	Command string        `json:"command"`
	Date    time.Time     `json:"date"`
	Machine stack.Machine `json:"machine"`
	Seed    uint64        `json:"seed"`
	// Length is the generated month; Play how long it took to play, on
	// Clock.
	Length time.Duration `json:"length"`
	Play   time.Duration `json:"play"`
	Clock  Clock         `json:"clock"`
	// Late is how long after the planned start the play began, when the
	// accounts took longer to create than planned: every account is that
	// much older at its votes than generated.
	Late time.Duration `json:"late,omitempty"`
	// Traffic is the generator's Markdown summary of the traffic.
	Traffic string `json:"traffic"`
	Sent    Sent   `json:"sent"`
	// Ledger is how many votes the ledger holds after the flush; Missing
	// the generated votes none of them was matched to.
	Ledger  int      `json:"ledger"`
	Missing []string `json:"missing,omitempty"`
	// Reasons are the ingest scorer's reason codes on the ledger.
	Reasons []ReasonRow `json:"reasons"`
	// Ingest judges the statuses the ingest scorer recorded, Batch the
	// batch analyser's recommendation on the live ledger, and Restored its
	// recommendation on the live ledger's export with the times mapped back
	// onto the month.
	Ingest   *fraudreport.Report `json:"ingest"`
	Batch    *fraudreport.Report `json:"batch"`
	Restored *fraudreport.Report `json:"restored"`
	// Offline is the batch analyser's recommendation on the generated
	// month itself, at the same volume: the reference.
	Offline *fraudreport.Report `json:"offline"`
	// Agree is how many votes get the same verdict from the analyser on
	// the restored export as on the generated month.
	Agree int `json:"agree"`
}

// Accounted reports whether every vote sent was answered 202 and is in the
// ledger once.
func (r *Report) Accounted() bool {
	return r.Sent.Votes > 0 && r.Sent.Accepted == r.Sent.Votes && r.Ledger == r.Sent.Votes && len(r.Missing) == 0
}

// The windows of the ingest scorer (antifraud/ingest.go), restated here to
// say what they cover of the month at the play's pace.
const (
	networkWindow = 10 * time.Minute
	deviceWindow  = 24 * time.Hour
)

// Markdown renders the report as the page docs/fraud-live.md.
func Markdown(r *Report) (string, error) {
	c := r.Clock
	v := view{Report: r, Targets: r.targets(), Days: r.Length.Hours() / 24, PerSecond: c.Scaled(time.Second),
		NetworkSpan: c.Scaled(networkWindow), DeviceSpan: c.Scaled(deviceWindow), VolumeShare: volumeShare(r),
		Statuses: statuses(r.Sent.Statuses), Traffic: strings.TrimSpace(r.Traffic)}
	v.Denser = c.Factor * v.VolumeShare
	for _, s := range []struct {
		name string
		rep  *fraudreport.Report
	}{{"ingest scorer (flagged or rejected at ingest)", r.Ingest}, {"batch analyser on the live ledger (`prizes fraud analyze --edition`)", r.Batch},
		{"batch analyser on the live ledger's export, times mapped back onto the month", r.Restored},
		{"batch analyser on the generated month itself (as `make fraud`, at this volume)", r.Offline}} {
		if s.rep != nil {
			v.Scorers = append(v.Scorers, scorer{Report: s.rep, Name: s.name, Precision: report.Maybe(s.rep.Precision())})
		}
	}
	for _, s := range []struct {
		out *string
		rep *fraudreport.Report
		p   fraudreport.Page
	}{
		{&v.IngestSection, r.Ingest, fraudreport.Page{Title: "The ingest scorer's statuses", Level: 2,
			Intro: "A vote the ingest scorer flagged or rejected counts as flagged; the Champions are those of the votes it counted."}},
		{&v.BatchSection, r.Batch, fraudreport.Page{Title: "The batch analyser on the live ledger", Level: 2,
			Intro: "`prizes fraud analyze --edition` on the ledger after the flush; its recommendation, not a decision."}},
		{&v.RestoredSection, r.Restored, fraudreport.Page{Title: "The batch analyser on the live ledger, on the month's clock", Level: 2,
			Intro: "`prizes fraud export` of the ledger after the flush, each cast time mapped back onto the month " +
				"(a vote sent d late lands d times the pace late) and each account created as long before its first vote " +
				"as on the play's clock, analysed with `prizes fraud analyze --from`: what the analyser makes of what the " +
				"vote path recorded (networks, User-Agents, device hints, accounts), without the compression."}},
	} {
		if s.rep == nil {
			continue
		}
		md, err := fraudreport.Markdown(s.rep, s.p)
		if err != nil {
			return "", err
		}
		*s.out = md
	}
	return report.Render(templates, "report.md.tmpl", v)
}

//go:embed report.md.tmpl
var templates embed.FS

// view is what the template reads: the report, the figures derived from
// its clock and volume, and the judgements rendered as sections.
type view struct {
	*Report
	Targets fraudreport.Targets
	Scorers []scorer
	// Days is the month's length in days; PerSecond, NetworkSpan and
	// DeviceSpan the spans of the month that one second and the ingest
	// scorer's windows cover at the play's pace.
	Days                               float64
	PerSecond, NetworkSpan, DeviceSpan time.Duration
	// VolumeShare is the traffic's volume as a share of WSIS's; Denser
	// how many times denser a crowd on few networks looks than at WSIS
	// scale in real time.
	VolumeShare, Denser                          float64
	Statuses, Traffic                            string
	IngestSection, BatchSection, RestoredSection string
}

// scorer is one row of the summary table.
type scorer struct {
	*fraudreport.Report
	Name, Precision string
}

func (r *Report) targets() fraudreport.Targets {
	if r.Ingest != nil {
		return r.Ingest.Targets
	}
	return fraudreport.DefaultTargets()
}

// volumeShare is the traffic's volume as a share of the WSIS vote.
func volumeShare(r *Report) float64 {
	const wsis = 1_300_000
	return float64(r.Sent.Votes) / wsis
}

func statuses(m map[int]int) string {
	var parts []string
	for code := 0; code < 600; code++ {
		if n, ok := m[code]; ok {
			parts = append(parts, fmt.Sprintf("%s: %s", statusName(code), report.Count(int64(n))))
		}
	}
	return strings.Join(parts, ", ")
}

func statusName(code int) string {
	if code == 0 {
		return "no answer"
	}
	return fmt.Sprint(code)
}
