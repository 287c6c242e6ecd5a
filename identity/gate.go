package identity

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// ChallengeRequest asks for a proof-of-work puzzle.
type ChallengeRequest struct {
	Purpose string
	Client  Client
}

// challengeWindow is the window over which load and a client's requests
// are counted to set the difficulty.
const challengeWindow = time.Minute

// IssueChallenge returns a signed puzzle for r.Purpose. Its difficulty rises
// with the number of puzzles issued this minute across every node, with the
// number the client asked for, and for a client that sends no User-Agent.
// It returns kind.ErrInvalid for an unknown purpose and kind.ErrUnavailable.
func (s *Service) IssueChallenge(ctx context.Context, r ChallengeRequest) (Challenge, error) {
	const op = "issue challenge"
	if r.Purpose != PurposeCode && r.Purpose != PurposeVote {
		return Challenge{}, fmt.Errorf("%s: purpose must be %q or %q: %w", op, PurposeCode, PurposeVote, kind.ErrInvalid)
	}
	k := s.keys.Load()
	counters := []Counter{{Name: "challenges", Key: r.Purpose, Window: challengeWindow}}
	if h := k.clientHash(r.Client); h != "" {
		counters = append(counters, Counter{Name: "challenges-client", Key: h, Window: challengeWindow})
	}
	counts, err := s.cfg.Meter.Count(ctx, counters)
	if err != nil {
		return Challenge{}, fmt.Errorf("%s: %w", op, err)
	}
	var client int64
	if len(counts) > 1 {
		client = counts[1]
	}
	maxNumber := s.cfg.Difficulty.For(counts[0], client, r.Client.UserAgent == "")
	c, err := newChallenge(s.cfg.Random, k.challenge[0], r.Purpose, s.now().Add(s.cfg.ChallengeTTL), maxNumber)
	if err != nil {
		return Challenge{}, fmt.Errorf("%s: %w", op, err)
	}
	return c, nil
}

// VoteAttempt is what the vote path knows before it casts a vote.
type VoteAttempt struct {
	Voter  int64
	Client Client
	// Challenge says that the edition wants a solved puzzle with every vote.
	Challenge bool
	// Solution is the X-Challenge header. A page may send one with a vote
	// that does not need it; it is then checked and spent all the same.
	Solution string
}

// Admission is what AdmitVote says of a vote it lets through.
type Admission struct {
	// Unmetered means the client is on an exempt network (a rehearsal's load
	// generator): the vote store's own per-voter limit skips the vote too.
	Unmetered bool
	// ChallengeSolved means the vote came with a challenge solution that
	// was checked and spent.
	ChallengeSolved bool
}

// AdmitVote applies the vote rate limits (per client address and per
// account) and checks and spends the challenge solution: one round trip to
// the meter, shared with concurrent votes, or none when nothing applies.
// When the edition asks for a solution, a missing or bad one refuses the
// vote; when it does not, a solution sent anyway that is bad or used is
// ignored, and only a good one is reported, as ChallengeSolved. It returns
// ErrChallengeRequired, ErrChallengeInvalid, a *kind.RateLimitError or
// kind.ErrUnavailable, wrapped.
func (s *Service) AdmitVote(ctx context.Context, a VoteAttempt) (Admission, error) {
	const op = "admit vote"
	var spend Spend
	k := s.keys.Load()
	if a.Challenge || a.Solution != "" {
		sol, err := DecodeSolution(a.Solution)
		var p puzzle
		if err == nil {
			p, err = k.verify(sol, PurposeVote, s.now())
		}
		switch {
		case err == nil:
			spend = Spend{Key: sol.Challenge, Until: p.expires}
		case a.Challenge:
			return Admission{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	exempt := s.exempt(a.Client)
	limits := make([]Limit, 0, 2)
	if !exempt && !s.cfg.Limits.VotePerIP.Off() {
		// The address hash costs an HMAC, so it is made only when needed.
		limits = s.limit(limits, false, "vote-ip", k.clientHash(a.Client), s.cfg.Limits.VotePerIP)
	}
	limits = s.limit(limits, exempt, "vote-account", strconv.FormatInt(a.Voter, 10), s.cfg.Limits.VotePerAccount)
	v, err := s.meter(ctx, op, limits, spend)
	if err != nil {
		return Admission{}, err
	}
	if v.Replayed && a.Challenge {
		return Admission{}, fmt.Errorf("%s: challenge already used: %w", op, ErrChallengeInvalid)
	}
	if v.Refused != "" {
		return Admission{}, fmt.Errorf("%s: %w", op, &kind.RateLimitError{Limit: v.Refused, RetryAfter: v.RetryAfter})
	}
	return Admission{Unmetered: exempt, ChallengeSolved: spend.Key != "" && !v.Replayed}, nil
}
