package fraudlive

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/fraudreport"
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
func Markdown(r *Report) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Fraud scorers on live traffic\n\n")
	w("`make fraud-live` writes this page: `prizes-loadtest fraud-live` generates a labelled month with " +
		"`fraud-gen` (the crowds and attacks of [fraud.md](fraud.md), at a reduced volume), plays it through " +
		"`prizes serve`'s vote path on a deployment of its own, and judges what the scorers made of it. " +
		"The interpretation of these figures is in [antifraud.md](antifraud.md#on-live-traffic).\n\n")
	w("    %s\n\n", r.Command)
	w("Each vote is sent at its time in the month, compressed, from an address inside its generated network "+
		"(as `X-Forwarded-For` from a trusted proxy), with its User-Agent and device hint and its account's token, "+
		"whose claims carry the account's creation, sign-in and email class (`prizes voters --facts`). After the flush "+
		"every ledger vote is mapped back to its generated vote and label by account and category. "+
		"Run on %s (%d CPUs), %s.\n\n", r.Machine.CPUModel, r.Machine.CPUs, r.Date.Format("2006-01-02"))

	in, bt := r.Ingest, r.Batch
	w("| scorer | recall (at least %.2f) | precision | honest flagged (at most %s) | Champions right |\n|---|---:|---:|---:|---:|\n",
		r.targets().Recall, pct(r.targets().HonestFlagged))
	for _, row := range []struct {
		name string
		rep  *fraudreport.Report
	}{{"ingest scorer (flagged or rejected at ingest)", in}, {"batch analyser on the live ledger (`prizes fraud analyze --edition`)", bt},
		{"batch analyser on the live ledger's export, times mapped back onto the month", r.Restored},
		{"batch analyser on the generated month itself (as `make fraud`, at this volume)", r.Offline}} {
		if row.rep == nil {
			continue
		}
		prec, ok := row.rep.Precision()
		w("| %s | %.3f | %s | %s | %d of %d |\n", row.name, row.rep.Attack.Share(), maybe(prec, ok), pct(row.rep.Honest.Share()),
			row.rep.ChampionsCorrect(), len(row.rep.Categories))
	}
	w("\n")
	if r.Restored != nil && r.Offline != nil {
		w("On the live ledger's export with its times mapped back and on the generated month, the analyser gives %s of "+
			"the %s votes the same verdict.\n\n", num(r.Agree), num(r.Ledger))
	}

	w("## The run\n\n")
	c := r.Clock
	w("- The month (%s) played in %s: %s of the month a second.\n", days(r.Length), r.Play, dur(c.Scaled(time.Second)))
	w("- %s votes sent, %s answered 202 (%s), %s in the ledger, %d generated votes not found in it. The most "+
		"delayed vote was sent %s after its time.\n",
		num(r.Sent.Votes), num(r.Sent.Accepted), statuses(r.Sent.Statuses), num(r.Ledger), len(r.Missing), r.Sent.Behind.Round(time.Millisecond))
	if r.Late > 0 {
		w("- The accounts took %s longer to create than planned: every account is that much older at its votes than generated.\n",
			r.Late.Round(time.Millisecond))
	}
	w("\n")

	w("## What the time scale does\n\n")
	w("The ingest scorer's windows run on the server's clock, so at this pace its ten-minute network and burst "+
		"windows each span %s of the month, and its one-day device window %s. What a network, a project or a device "+
		"shows in one window is therefore what it did in that span of the month, at the reduced volume: the "+
		"counts are those of the whole traffic over the span, not of ten minutes at WSIS scale. A network's "+
		"count in a window is about %.0f times its count in ten generated minutes, while the volume is %.3f of "+
		"WSIS's; a crowd that keeps to a few networks (a carrier's NAT, a campus, a farm) looks %.0f times "+
		"denser than it would at WSIS scale in real time. The scorer is not tuned to the compression.\n\n",
		dur(c.Scaled(networkWindow)), dur(c.Scaled(deviceWindow)), c.Factor,
		volumeShare(r), c.Factor*volumeShare(r))
	w("What the compression keeps: an account's age at its first vote is as generated (the account is created "+
		"that long before the vote is played; later votes of the same account come at most a little younger), "+
		"and so are the email class, the User-Agent, the device hint and the network. The generator does not model "+
		"sign-ins: an account created less than an hour before its first vote claims that it signed in as it "+
		"signed up, an older one claims no sign-in. The batch analyser reads the ledger as it is, with the cast "+
		"times of the play: a month of timing (waking hours, nights, days, weeks of drip) squeezed into %s.\n\n", r.Play)

	if len(r.Reasons) > 0 {
		w("## The ingest scorer's reasons\n\n")
		w("How many ledger votes carry each reason code, and how many of those the scorer set aside (flagged or rejected).\n\n")
		w("| reason | honest votes | of them set aside | attack votes | of them set aside |\n|---|---:|---:|---:|---:|\n")
		for _, row := range r.Reasons {
			w("| `%s` | %s | %s | %s | %s |\n", row.Reason, num(row.Honest), num(row.HonestFlagged), num(row.Attack), num(row.AttackFlagged))
		}
		w("\n")
	}
	w("## The traffic\n\n%s\n", strings.TrimSpace(r.Traffic)+"\n")
	if in != nil {
		w("%s\n", fraudreport.Markdown(in, fraudreport.Page{Title: "The ingest scorer's statuses", Level: 2,
			Intro: "A vote the ingest scorer flagged or rejected counts as flagged; the Champions are those of the votes it counted."}))
	}
	if bt != nil {
		w("%s\n", fraudreport.Markdown(bt, fraudreport.Page{Title: "The batch analyser on the live ledger", Level: 2,
			Intro: "`prizes fraud analyze --edition` on the ledger after the flush; its recommendation, not a decision."}))
	}
	if r.Restored != nil {
		w("%s", fraudreport.Markdown(r.Restored, fraudreport.Page{Title: "The batch analyser on the live ledger, on the month's clock", Level: 2,
			Intro: "`prizes fraud export` of the ledger after the flush, each cast time mapped back onto the month " +
				"(a vote sent d late lands d times the pace late) and each account created as long before its first vote " +
				"as on the play's clock, analysed with `prizes fraud analyze --from`: what the analyser makes of what the " +
				"vote path recorded (networks, User-Agents, device hints, accounts), without the compression."}))
	}
	return b.String()
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
			parts = append(parts, fmt.Sprintf("%s: %s", statusName(code), num(n)))
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

func days(d time.Duration) string { return fmt.Sprintf("%g days", d.Hours()/24) }

// dur writes a generated span in the largest unit that keeps it readable.
func dur(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= 2*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	case d >= 2*time.Minute:
		return fmt.Sprintf("%.0f minutes", d.Minutes())
	}
	return d.Round(time.Second).String()
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

func maybe(x float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

// num writes n with thousands separators.
func num(n int) string { return loadtest.Count(int64(n)) }
