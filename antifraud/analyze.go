package antifraud

import "time"

// Options are the analyser's thresholds. The zero value of a field means
// its default, given in its comment; DefaultOptions returns them all.
// Every threshold is relative where it can be (a share, a lift over what
// the edition's voters do), so the defaults hold from a small edition to a
// WSIS-sized one.
type Options struct {
	// FlagScore is the score from which a vote is flagged (0.5): a group
	// whose evidence weighs 1 or more.
	FlagScore float64
	// CaseScore is the score from which a group becomes a case and its
	// votes carry its reasons even when counted (0.3), so organisers see
	// the near misses too.
	CaseScore float64
	// MemberChance is the chance of being one of a flagged group's made-up
	// accounts, rather than an honest voter who was there too, from which
	// an account is flagged with its group (0.5; see crowd.members).
	MemberChance float64
	// MinGroup is the fewest accounts any rule calls a group (10). Fewer
	// cannot move a ranking much and look alike by chance too easily.
	MinGroup int
	// FocusLift is how many times its expected votes a project must get
	// from a group for the group to be looked at (3): the group's votes
	// for it against the group's votes in its category times the
	// project's share of that category.
	FocusLift float64
	// FocusZ is how many standard deviations above that expectation the
	// group's votes must also be (4), so that small numbers are not
	// mistaken for focus.
	FocusZ float64
	// FreshAge is how soon before its first vote an account must have
	// been created to count as fresh (48 h).
	FreshAge time.Duration
	// FamilyMax is the most accounts one device may serve and still be a
	// household (6).
	FamilyMax int
	// StageWindow, StageMin and StageGap define staged accounts: at least
	// StageMin (5) accounts of a group created within StageWindow (1 h) of
	// each other, making a quarter of the edition's sign-ups then, and
	// first used StageGap (1 h) or more later, however much later.
	StageWindow time.Duration
	StageMin    int
	StageGap    time.Duration
	// StepWindow is how close in time two accounts of a group must begin
	// voting to be in step, one after the other (10 min).
	StepWindow time.Duration
	// MinCadence is the fewest events a pace or a delay is measured on
	// (12).
	MinCadence int
	// RegularZ is how many standard errors below the spread of
	// independent arrivals a group's pace must be to count as a machine's
	// (3.5).
	RegularZ float64
	// DelayZ is how many standard errors below the edition's spread of
	// sign-up-to-vote delays a group's must be to count as a script's
	// (3.5).
	DelayZ float64
	// DripDays is the fewest days a steady drip spans (7).
	DripDays int
	// BurstWindow is the width of the windows in which a project's votes
	// (and, by creation time, its new accounts) are compared with its
	// share (6 h).
	BurstWindow time.Duration
	// LockstepWindows are the widths of the windows in which accounts
	// voting the same projects count as voting together (1 h and 6 h: a
	// ring voting at once, and one whose operators log in one account
	// after another through a working day). Windows overlap by half, so a
	// group straddling a boundary is seen whole.
	LockstepWindows []time.Duration
	// LockstepOdds is the odds ratio from which two projects voted for in
	// the same window go together more than independent choices explain
	// (4); see hotPair for the rest of the test.
	LockstepOdds float64
	// GraphOdds is the same over the whole edition, for dense groups of
	// the co-voting graph (4).
	GraphOdds float64
}

// DefaultOptions are the documented defaults.
func DefaultOptions() Options {
	return Options{
		FlagScore:       0.5,
		CaseScore:       0.3,
		MemberChance:    0.5,
		MinGroup:        10,
		FocusLift:       3,
		FocusZ:          4,
		FreshAge:        48 * time.Hour,
		FamilyMax:       6,
		StageWindow:     24 * time.Hour,
		StageMin:        5,
		StageGap:        time.Hour,
		StepWindow:      10 * time.Minute,
		MinCadence:      12,
		RegularZ:        3.5,
		DelayZ:          3.5,
		DripDays:        7,
		BurstWindow:     6 * time.Hour,
		LockstepWindows: []time.Duration{time.Hour, 6 * time.Hour},
		LockstepOdds:    4,
		GraphOdds:       4,
	}
}

// withDefaults fills every zero field with its default.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	setF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setI := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setF(&o.FlagScore, d.FlagScore)
	setF(&o.CaseScore, d.CaseScore)
	setF(&o.MemberChance, d.MemberChance)
	setI(&o.MinGroup, d.MinGroup)
	setF(&o.FocusLift, d.FocusLift)
	setF(&o.FocusZ, d.FocusZ)
	setD(&o.FreshAge, d.FreshAge)
	setI(&o.FamilyMax, d.FamilyMax)
	setD(&o.StageWindow, d.StageWindow)
	setI(&o.StageMin, d.StageMin)
	setD(&o.StageGap, d.StageGap)
	setD(&o.StepWindow, d.StepWindow)
	setI(&o.MinCadence, d.MinCadence)
	setF(&o.RegularZ, d.RegularZ)
	setF(&o.DelayZ, d.DelayZ)
	setI(&o.DripDays, d.DripDays)
	setD(&o.BurstWindow, d.BurstWindow)
	if len(o.LockstepWindows) == 0 {
		o.LockstepWindows = d.LockstepWindows
	}
	setF(&o.LockstepOdds, d.LockstepOdds)
	setF(&o.GraphOdds, d.GraphOdds)
	return o
}

// analysis is one run of the analyser.
type analysis struct {
	o      Options
	ix     *index
	b      *baseline
	crowds []*crowd
}

// Analyze finds coordinated groups among votes and recommends a status for
// every vote. It is a pure function of its input: the same votes in the
// same order give the same report, whether they come from the ledger or a
// file. Votes are one line of an export each, with their account's facts;
// they may come in any order.
//
// Every detector finds crowds, groups of accounts acting alike that fed
// projects far beyond their share, each in its own way (a network, a
// device, a mail domain, a sign-up wave, a burst, a lockstep set of
// projects, a dense block of the co-voting graph). Then each crowd is
// weighed on the same evidence of being made rather than met, and its
// votes get its score; a vote in several crowds keeps the highest.
func Analyze(votes []Vote, o Options) Report {
	an := &analysis{o: o.withDefaults()}
	an.ix = buildIndex(votes)
	an.b = newBaseline(an.ix, &an.o)
	an.sharedCrowds()
	an.burstCrowds()
	an.waveCrowds()
	an.lockstepCrowds()
	an.denseGroups()
	for _, c := range an.crowds {
		an.assess(c)
	}
	return an.report(votes)
}

// secs is a duration in whole seconds.
func secs(d time.Duration) int64 { return int64(d / time.Second) }
