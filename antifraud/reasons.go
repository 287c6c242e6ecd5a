package antifraud

// Reason codes name why the analyser flagged a vote or opened a case. The
// first group names how a group of accounts was found (a case's Kind); the
// second names the evidence that the group is not an honest crowd. A
// flagged vote carries its case's kind and the evidence that was strong in
// it, sorted. The codes are stable: organisers' decisions and published
// statuses refer to them.
const (
	// ReasonSharedNetwork: many accounts behind one network voted for the
	// same project far beyond its share, and they look made rather than
	// met (a campus or a carrier's NAT alone is never enough).
	ReasonSharedNetwork = "shared_network"
	// ReasonSharedDevice: more accounts than a household used one device
	// and voted alike.
	ReasonSharedDevice = "shared_device"
	// ReasonSignupWave: accounts created close together went on to feed
	// one project far beyond its share.
	ReasonSignupWave = "signup_wave"
	// ReasonVoteBurst: a project received far more votes in a short time
	// than its share, and the burst's accounts look made rather than met.
	ReasonVoteBurst = "vote_burst"
	// ReasonMailDomain: many accounts of one email domain voted for the
	// same project far beyond its share.
	ReasonMailDomain = "mail_domain"
	// ReasonLockstep: many accounts voted for the same set of projects in
	// the same short window, far more than honest voters' independent
	// choices produce (CopyCatch, SynchroTrap).
	ReasonLockstep = "lockstep"
	// ReasonDenseGroup: a set of projects is voted for together, over the
	// whole edition, by far more accounts than their popularity explains:
	// a dense block in the graph of accounts and projects.
	ReasonDenseGroup = "dense_group"

	// ReasonFreshAccounts: the group's accounts were created shortly
	// before they voted, far more often than the edition's voters' are.
	ReasonFreshAccounts = "fresh_accounts"
	// ReasonStagedAccounts: accounts were created in a batch and used
	// for voting only hours or days later.
	ReasonStagedAccounts = "staged_accounts"
	// ReasonRegularTiming: votes or sign-ups arrived at a machine-regular
	// pace, far steadier than people answering a message do.
	ReasonRegularTiming = "regular_timing"
	// ReasonUniformDelay: the time from sign-up to first vote was nearly
	// the same for every account, as a script's is.
	ReasonUniformDelay = "uniform_delay"
	// ReasonDeviceFarm: accounts shared devices with more accounts than a
	// family has.
	ReasonDeviceFarm = "device_farm"
	// ReasonSameBallot: the accounts cast the same ballot of several
	// projects.
	ReasonSameBallot = "same_ballot"
	// ReasonSteadyDrip: the group's votes came at a steady daily rate for
	// a week or more, not in the bursts of an honest campaign.
	ReasonSteadyDrip = "steady_drip"
	// ReasonNewDomain: the accounts' email domain is unknown to the
	// edition except for a recent wave of accounts.
	ReasonNewDomain = "new_domain"
	// ReasonSameAgent: far fewer browser strings than that many people
	// would use.
	ReasonSameAgent = "same_agent"
	// ReasonFewNetworks: many accounts came through very few networks.
	ReasonFewNetworks = "few_networks"
)
