package fraudgen

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary is what a generated month holds: each label's accounts and
// votes, and what each attack did.
type Summary struct {
	Votes    int             `json:"votes"`
	Accounts int             `json:"accounts"`
	Labels   []LabelSummary  `json:"labels"`
	Attacks  []AttackSummary `json:"attacks"`
}

// LabelSummary is one honest crowd or attack.
type LabelSummary struct {
	Label    string `json:"label"`
	Honest   bool   `json:"honest"`
	Accounts int    `json:"accounts"`
	Votes    int    `json:"votes"`
}

// Summary returns what t holds, labels in the order they were made:
// honest crowds first.
func (t *Traffic) Summary() Summary {
	s := Summary{Votes: len(t.votes), Accounts: len(t.accounts), Attacks: t.attacks}
	s.Labels = make([]LabelSummary, len(t.labels))
	for i, l := range t.labels {
		s.Labels[i] = LabelSummary{Label: l, Honest: t.honest[i]}
	}
	for _, a := range t.accounts {
		s.Labels[a.label].Accounts++
	}
	for _, v := range t.votes {
		s.Labels[t.accounts[v.account].label].Votes++
	}
	return s
}

// descriptions say in a sentence what each crowd and attack models.
var descriptions = map[string]string{
	LabelOrganic: "The general public on home lines and office wifi, voting in their waking hours on their own initiative; " +
		"a third vote only for the project that brought them, the rest for a handful of categories or the whole ballot.",
	LabelCampaign: "The same public arriving within hours or a day of a nominee's newsletter or post, " +
		"so that each project's supporters come in bursts, mostly from its country and mostly signing up minutes before voting.",
	LabelMobile: "Voters on mobile data behind their carrier's NAT: thousands of unrelated people of one country sharing " +
		"a few public /24s or IPv6 /48s, the address changing between connections.",
	LabelCampus: "A university rallying its students for its nominee: hundreds vote within hours from the campus network's " +
		"few NAT addresses, most of them creating their account on the spot, many with the university's domain.",
	LabelCompany: "A company whose project is nominated: after an internal memo its staff vote in working hours from " +
		"the office's one or two /24s, the managed laptops all sending the same browser string, with the company's domain.",
	LabelFamily: "Households where two to five people vote on the family tablet, computer or phone from the home line, " +
		"often one after the other on the same evening and for the same project, so one device hint spans several accounts.",
	LabelTerminal: "Computers in internet cafés and libraries where dozens of unrelated people vote over the month, " +
		"in opening hours, from the café's line, with an old browser; some cafés wipe the browser nightly, some never.",
	LabelSlate: "An organisation with nominees in several categories asking its staff and followers to vote for all of them: " +
		"many honest people voting the same set of projects across categories.",
	KindBotFarm: "A script on rented servers signing up accounts in night-time waves (some stockpiled days before) on bulk " +
		"free-mail, catch-all and disposable domains, each voting within minutes, all from one /24 with a few stock browser strings.",
	KindProxyFarm: "An anti-detect browser behind a residential proxy network: every account a fresh profile and device hint, " +
		"an exit on someone's home line or phone abroad, a plausible browser string, a new free-mail, disposable or catch-all address, " +
		"minutes from sign-up to vote, with a couple of cover votes.",
	KindDisposableWave: "A sign-up wave on disposable mail over a day and a half, rising and falling, through a few VPN exits " +
		"and one country's mobile data; most domains are too new for any list, some are on the project's list since.",
	KindAgedRing: "A ring of accounts farmed in batches years before, each with its own home address, browser and device " +
		"in one of three countries, which a few operators log into one after another in working hours to vote for the same " +
		"set of projects across categories, plus a few popular nominees elsewhere.",
	KindSlowDrip: "A small operation that stays under any daily threshold: for weeks, a few dozen new accounts a day " +
		"from an office line and a couple of servers, on a handful of laptops and phones, with free-mail, a domain of its own and the odd disposable address.",
	KindPaidCrowd: "Vote buying on a micro-task platform: real people in the platform's countries take the task on their " +
		"own phones and home lines, each with a new free-mail account, in the day or two after it is posted; some make two or three accounts.",
	KindPhoneFarm: "A rack of Android phones on two mobile carriers' data, each signing up an account, voting, toggling flight " +
		"mode for a new NAT address and starting again through long shifts; some phones clear the browser between accounts, " +
		"and the carriers' NAT is the one honest phone users share.",
}

// Describe returns a sentence on what the crowd or attack label models,
// or "" for a label this package does not make.
func Describe(label string) string { return descriptions[label] }

// Markdown renders what the traffic holds: each crowd's and attack's
// accounts and votes, and each attack's targets.
func (s Summary) Markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("| crowd or attack | honest | accounts | votes |\n|---|---|---:|---:|\n")
	for _, l := range s.Labels {
		w("| `%s` | %s | %s | %s |\n", l.Label, map[bool]string{true: "yes", false: "no"}[l.Honest], group(l.Accounts), group(l.Votes))
	}
	w("| **all** | | %s | %s |\n\n", group(s.Accounts), group(s.Votes))
	w("Each attack's targets: the project's honest rank and votes in its category, the honest votes of the fifth, " +
		"and the votes the attack gives it.\n\n")
	w("| attack | category | project | honest rank | honest votes | fifth's | added |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, a := range s.Attacks {
		for _, t := range a.Targets {
			w("| `%s` | %s | `%s` | %d | %s | %s | %s |\n", a.Label, t.Category, t.Project[:min(8, len(t.Project))], t.Rank,
				group(t.Honest), group(t.Fifth), group(t.Added))
		}
	}
	return b.String()
}

// group writes a count with commas between groups of three digits.
func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
