package antifraud

import (
	"context"
	"hash/maphash"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/wsisvote/prizes/voting"
)

// The reason codes the ingest scorer gives a vote. Each names a signal that
// raised the vote's score; a vote carries those that did, sorted. They are
// stored with the vote and never shown to the voter while voting is open.
const (
	// IngestAccountNew: the account was created less than an hour before
	// the vote.
	IngestAccountNew = "account_new"
	// IngestAccountYoung: the account was created less than a day, and at
	// least an hour, before the vote.
	IngestAccountYoung = "account_young"
	// IngestDeviceReuse: the vote's device hint was used by more accounts in
	// the last day than a household shares a device with.
	IngestDeviceReuse = "device_reuse"
	// IngestEmailDisposable: the account's email domain is a throwaway mail
	// service.
	IngestEmailDisposable = "email_disposable"
	// IngestEmailFree: the account's email domain is a free mail service;
	// it only adds to other evidence.
	IngestEmailFree = "email_free"
	// IngestFastAfterSignIn: the vote came within seconds of the sign-in,
	// faster than a person usually picks a project.
	IngestFastAfterSignIn = "fast_after_sign_in"
	// IngestNetworkAccounts: many distinct accounts voted from the client's
	// network (/24 or /48) in the last ten minutes, as they do behind a
	// campus, a company or a mobile carrier's NAT, and behind a farm.
	IngestNetworkAccounts = "network_accounts"
	// IngestNetworkVotes: many votes came from the client's network in the
	// last ten minutes.
	IngestNetworkVotes = "network_votes"
	// IngestUAHeadless: the User-Agent is a headless browser's or an HTTP
	// library's, not a person's browser.
	IngestUAHeadless = "ua_headless"
	// IngestUAMalformed: the User-Agent is one no real client writes.
	IngestUAMalformed = "ua_malformed"
	// IngestUAMissing: the vote came without a User-Agent.
	IngestUAMissing = "ua_missing"
	// IngestYoungBurst: the vote is from an account less than a day old,
	// for a project that got a burst of such votes in the last ten minutes,
	// far above its usual share of its category's.
	IngestYoungBurst = "young_account_burst"
)

// ingestCodes lists the reason codes in sorted order; bit i of a reason
// mask stands for ingestCodes[i].
var ingestCodes = [...]string{
	IngestAccountNew, IngestAccountYoung, IngestDeviceReuse, IngestEmailDisposable,
	IngestEmailFree, IngestFastAfterSignIn, IngestNetworkAccounts, IngestNetworkVotes,
	IngestUAHeadless, IngestUAMalformed, IngestUAMissing, IngestYoungBurst,
}

const (
	bitAccountNew = 1 << iota
	bitAccountYoung
	bitDeviceReuse
	bitEmailDisposable
	bitEmailFree
	bitFastAfterSignIn
	bitNetworkAccounts
	bitNetworkVotes
	bitUAHeadless
	bitUAMalformed
	bitUAMissing
	bitYoungBurst
)

// The weights of the signals. A vote's score is 1 - Π(1 - w) over the
// signals it shows, signals that measure the same thing (the network's
// accounts and votes; the account's age; the email class; the User-Agent
// class) counting once, by the strongest. No weight reaches the default flag
// threshold (0.6): one signal alone never flags a vote. Without evidence of
// automation (the User-Agent) or a throwaway address, every other signal
// together stays below 0.83; reaching 0.9 takes at least five signals, one
// of them the User-Agent's or the address's.
const (
	// A network's distinct accounts and votes in ten minutes: weights ramp
	// from lo to hi between the counts. Shared networks are normal, so the
	// network alone stays weak.
	networkAccountsFrom, networkAccountsTo = 20, 200
	networkAccountsLo, networkAccountsHi   = 0.10, 0.30
	networkVotesFrom, networkVotesTo       = 300, 3000
	networkVotesLo, networkVotesHi         = 0.10, 0.25

	// People sign up to vote and vote at once, so a young account is weak
	// evidence.
	accountNewBelow    = time.Hour
	accountYoungBelow  = 24 * time.Hour
	weightAccountNew   = 0.30
	weightAccountYoung = 0.15

	fastAfterSignIn    = 3 * time.Second
	weightFastSignIn   = 0.10
	weightDisposable   = 0.45
	weightFreeMail     = 0.05
	weightUAHeadless   = 0.50
	weightUAMissing    = 0.45
	weightUAMalformed  = 0.35
	weightYoungBurst   = 0.30
	deviceWindowLength = 24 * time.Hour
	// A device hint's distinct accounts in a day: a household shares a
	// device, a kiosk at an event does too, and the hint is the client's to
	// send, so the weight stays moderate.
	deviceAccountsFrom, deviceAccountsTo = 4, deviceAccounts
	deviceReuseLo, deviceReuseHi         = 0.15, 0.40

	// A proof of work solved though the edition does not ask for one (a
	// page may send one with every vote) made the vote cost its sender CPU
	// time: weak evidence against automation at scale, which lowers the
	// score.
	solvedFactor = 0.8
)

// The windows. Network and burst windows are crowdBuckets (burstBuckets)
// ticks of ingestTick: ten minutes, sliding in steps of two and a half.
const (
	ingestTick = 150 * time.Second
	// burstHalfLife is how fast the usual level a burst is compared with
	// forgets, in ticks: six hours.
	burstHalfLife = float64(6*time.Hour) / float64(ingestTick)
	// A burst is at least burstMinVotes young votes for the project in the
	// window, at least burstMinShare of its category's, and burstFactor
	// times its usual share. The usual share starts from burstPrior, worth
	// burstPriorVotes votes, so a project with little history is compared
	// with an even share among 20 nominees.
	burstMinVotes   = 30
	burstMinShare   = 0.25
	burstFactor     = 3
	burstPrior      = 0.05
	burstPriorVotes = 100
)

// IngestOptions tune an Ingest; the zero value gives the defaults.
type IngestOptions struct {
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Networks, Devices and Projects bound how many networks, device hints,
	// and projects and categories the scorer remembers, rounded up to a
	// power of two: 32,768, 16,384 and 8,192 by default, 256, 208 and 80
	// bytes each (about 12 MB in all), allocated when the scorer is made.
	// Beyond them the entry touched longest ago in a small set of slots is
	// forgotten: a network or device forgotten counts from zero again,
	// which can only lower a score, and an entry that many votes touch (a
	// busy network, a category) is the last to go.
	Networks, Devices, Projects int
}

// Ingest is the scorer of the vote path: it gives every vote a score in
// [0,1] with reason codes from signals that cost no round trip, the vote's
// own facts and what this node saw in the last minutes, and the edition's
// fraud thresholds (voting.Rules.FraudStatus) turn the score into a status.
// It never refuses a vote and does the same work whatever it finds.
//
// Its windows are per node: behind a load balancer each node sees its share
// of a network's votes, so the counts it compares with its thresholds are
// that share. Memory is fixed when it is made (IngestOptions). It is safe for
// concurrent use; votes for different networks, devices and projects take
// different locks most of the time.
type Ingest struct {
	cat      *voting.Catalogue
	now      func() time.Time
	seed     maphash.Seed
	networks *ingestTable[crowdWindow]
	devices  *ingestTable[deviceWindow]
	projects *ingestTable[burstWindow]
	// reasons caches the reason list of each mask, so a vote's Reasons
	// cost no allocation; the lists are shared and must not be changed.
	reasons [1 << len(ingestCodes)]atomic.Pointer[[]string]
	// agents caches the class of recent User-Agents: the hash's top 56
	// bits, a bit that marks the slot used, and the class.
	agents [agentCache]atomic.Uint64
}

// agentCache is how many User-Agent classes are remembered. Votes come from
// a few thousand distinct headers, most of them from a few dozen.
const agentCache = 1 << 12

var _ voting.Scorer = (*Ingest)(nil)

// NewIngest returns a scorer that reads each edition's thresholds from cat
// (the defaults for an edition it does not hold, or when cat is nil).
func NewIngest(cat *voting.Catalogue, o IngestOptions) *Ingest {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Ingest{
		cat:      cat,
		now:      o.Now,
		seed:     maphash.MakeSeed(),
		networks: newIngestTable[crowdWindow](cmp0(o.Networks, 1<<15)),
		devices:  newIngestTable[deviceWindow](cmp0(o.Devices, 1<<14)),
		projects: newIngestTable[burstWindow](cmp0(o.Projects, 1<<13)),
	}
}

func cmp0(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Score implements voting.Scorer: Assess, then the edition's thresholds.
func (in *Ingest) Score(_ context.Context, v *voting.Vote) voting.Verdict {
	rules := in.rules(v.Edition)
	score, reasons := in.assess(v, rules)
	return voting.Verdict{Status: rules.FraudStatus(score), Reasons: reasons}
}

// Assess records v in the scorer's windows and returns its score in [0,1]
// and its reason codes, sorted (nil when none applies), as Score does. The
// slice is shared with other votes and must not be changed.
func (in *Ingest) Assess(v *voting.Vote) (float64, []string) {
	return in.assess(v, in.rules(v.Edition))
}

// rules returns the edition's rules; zero thresholds, the defaults, when the
// catalogue does not hold it.
func (in *Ingest) rules(edition string) voting.Rules {
	if in.cat != nil {
		if ed, ok := in.cat.Snapshot().Edition(edition); ok {
			return ed.Rules
		}
	}
	return voting.Rules{}
}

func (in *Ingest) assess(v *voting.Vote, rules voting.Rules) (float64, []string) {
	now := in.now()
	tick := now.UnixNano() / int64(ingestTick)
	c := &v.Client
	account := mix64(uint64(v.VoterID))
	var mask uint
	keep := 1.0 // the product of (1 - weight) over the signals shown

	if c.Network != "" {
		key := nonZero(maphash.String(in.seed, c.Network))
		sh, set := in.networks.shard(key)
		sh.mu.Lock()
		votes, accounts := sh.slot(key, set, tick).add(tick, account)
		sh.mu.Unlock()
		wa := ramp(accounts, networkAccountsFrom, networkAccountsTo, networkAccountsLo, networkAccountsHi)
		wv := ramp(float64(votes), networkVotesFrom, networkVotesTo, networkVotesLo, networkVotesHi)
		if wa > 0 {
			mask |= bitNetworkAccounts
		}
		if wv > 0 {
			mask |= bitNetworkVotes
		}
		keep *= 1 - max(wa, wv)
	}

	if c.DeviceHint != "" {
		key := nonZero(maphash.String(in.seed, c.DeviceHint))
		sh, set := in.devices.shard(key)
		sh.mu.Lock()
		n := sh.slot(key, set, tick).add(now.Unix(), uint32(account>>32), int64(deviceWindowLength/time.Second))
		sh.mu.Unlock()
		if w := ramp(float64(n), deviceAccountsFrom, deviceAccountsTo, deviceReuseLo, deviceReuseHi); w > 0 {
			mask |= bitDeviceReuse
			keep *= 1 - w
		}
	}

	age := c.AccountAge
	young := age > 0 && age < accountYoungBelow
	switch {
	case age <= 0:
	case age < accountNewBelow:
		mask |= bitAccountNew
		keep *= 1 - weightAccountNew
	case young:
		mask |= bitAccountYoung
		keep *= 1 - weightAccountYoung
	}

	if in.burst(v, tick, young) {
		mask |= bitYoungBurst
		keep *= 1 - weightYoungBurst
	}

	if c.SignedInFor > 0 && c.SignedInFor < fastAfterSignIn {
		mask |= bitFastAfterSignIn
		keep *= 1 - weightFastSignIn
	}

	switch c.EmailClass {
	case voting.EmailDisposable:
		mask |= bitEmailDisposable
		keep *= 1 - weightDisposable
	case voting.EmailFree:
		mask |= bitEmailFree
		keep *= 1 - weightFreeMail
	}

	switch in.agent(c.UserAgent) {
	case agentMissing:
		mask |= bitUAMissing
		keep *= 1 - weightUAMissing
	case agentHeadless:
		mask |= bitUAHeadless
		keep *= 1 - weightUAHeadless
	case agentMalformed:
		mask |= bitUAMalformed
		keep *= 1 - weightUAMalformed
	}

	score := 1 - keep
	// Where the edition asks every vote for a solved challenge, a solved
	// one says nothing about this vote.
	if c.ChallengeSolved && !rules.VoteChallenge {
		score *= solvedFactor
	}
	return score, in.reasonList(mask)
}

// burst records the vote in its project's and its category's burst windows
// and reports whether it is a young account's vote in a burst of them for
// the project (IngestYoungBurst).
func (in *Ingest) burst(v *voting.Vote, tick int64, young bool) bool {
	ed := maphash.String(in.seed, v.Edition)
	pw, pb := in.burstAdd(nonZero(mix64(ed^maphash.String(in.seed, v.ProjectID))), tick, young)
	cw, cb := in.burstAdd(nonZero(mix64((ed+1)^maphash.String(in.seed, v.Category))), tick, young)
	if !young || pw < burstMinVotes {
		return false
	}
	// The two windows are read under separate locks, and the category's
	// entry may have been forgotten: its count is at least the project's.
	share := pw / max(cw, pw)
	usual := (pb + burstPrior*burstPriorVotes) / (max(cb, pb) + burstPriorVotes)
	return share >= max(burstFactor*usual, burstMinShare)
}

func (in *Ingest) burstAdd(key uint64, tick int64, young bool) (window, base float64) {
	sh, set := in.projects.shard(key)
	sh.mu.Lock()
	window, base = sh.slot(key, set, tick).add(tick, young, burstHalfLife)
	sh.mu.Unlock()
	return window, base
}

// agent returns the class of ua, from the cache when it holds it.
func (in *Ingest) agent(ua string) agentClass {
	const used = 1 << 7
	h := maphash.String(in.seed, ua)
	slot := &in.agents[h&(agentCache-1)]
	if e := slot.Load(); e&used != 0 && e>>8 == h>>8 {
		return agentClass(e & (used - 1))
	}
	class := classifyAgent(ua)
	slot.Store(h>>8<<8 | used | uint64(class))
	return class
}

// ramp is 0 below from, then rises linearly from lo at from to hi at to,
// and stays at hi beyond.
func ramp(x, from, to, lo, hi float64) float64 {
	switch {
	case x < from:
		return 0
	case x >= to:
		return hi
	}
	return lo + (hi-lo)*(x-from)/(to-from)
}

// reasonList returns the sorted reason codes of mask, made once per mask.
func (in *Ingest) reasonList(mask uint) []string {
	if mask == 0 {
		return nil
	}
	p := &in.reasons[mask]
	if l := p.Load(); l != nil {
		return *l
	}
	l := make([]string, 0, bits.OnesCount(mask))
	for i, code := range ingestCodes {
		if mask&(1<<i) != 0 {
			l = append(l, code)
		}
	}
	p.Store(&l)
	return l
}

// IngestStats says how full the scorer's tables are: entries held and the
// most each can hold.
type IngestStats struct {
	Networks, NetworksCap int
	Devices, DevicesCap   int
	Projects, ProjectsCap int
}

// Stats returns how full the scorer's tables are.
func (in *Ingest) Stats() IngestStats {
	return IngestStats{
		Networks: in.networks.Len(), NetworksCap: in.networks.Cap(),
		Devices: in.devices.Len(), DevicesCap: in.devices.Cap(),
		Projects: in.projects.Len(), ProjectsCap: in.projects.Cap(),
	}
}
