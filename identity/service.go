package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// Config is what a Service is built from. The stores are required; zero
// settings get the defaults named on each field.
type Config struct {
	Accounts Accounts
	Codes    Codes
	Sessions Sessions
	Secrets  Secrets
	Meter    Meter
	Mailer   Mailer
	// Blocklist refuses disposable addresses (the shipped list when nil).
	Blocklist  *Blocklist
	Limits     Limits
	Difficulty Difficulty // DefaultDifficulty when Base is zero
	// Exempt are client networks that rate limits do not apply to, such as
	// the load generator of a rehearsal. Challenges still do.
	Exempt []netip.Prefix
	// SiteName names the service in mail ("WSIS Prizes").
	SiteName     string
	CodeTTL      time.Duration // 10 minutes
	CodeAttempts int           // 5
	RefreshTTL   time.Duration // 30 days: an unused session ends
	SessionTTL   time.Duration // 90 days: every session ends
	ChallengeTTL time.Duration // 10 minutes
	// ClientKeyTTL is how long one key hashes client addresses before it is
	// replaced and, an hour later, deleted (24 hours).
	ClientKeyTTL time.Duration
	Now          func() time.Time // time.Now
	Random       io.Reader        // crypto/rand
}

// Service is sign-in, sessions, accounts and the abuse controls. It is safe
// for concurrent use.
type Service struct {
	cfg  Config
	keys atomic.Pointer[keyring]
}

// Rotation of the challenge keys: a replaced key verifies puzzles for as long
// as one it signed can live.
const challengeKeyTTL = 24 * time.Hour

// New checks cfg, fills its defaults and loads the secrets, creating them on
// first use. It returns kind.ErrUnavailable when the secrets store cannot be
// reached.
func New(ctx context.Context, cfg Config) (*Service, error) {
	var errs []error
	if cfg.Accounts == nil || cfg.Codes == nil || cfg.Sessions == nil || cfg.Secrets == nil {
		errs = append(errs, errors.New("accounts, codes, sessions and secrets stores are required"))
	}
	if cfg.Meter == nil {
		errs = append(errs, errors.New("a meter is required"))
	}
	if cfg.Mailer == nil {
		errs = append(errs, errors.New("a mailer is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new identity service: %w", err)
	}
	if cfg.Blocklist == nil {
		b, err := NewBlocklist()
		if err != nil {
			return nil, fmt.Errorf("new identity service: %w", err)
		}
		cfg.Blocklist = b
	}
	if cfg.Difficulty.Base <= 0 {
		cfg.Difficulty = DefaultDifficulty()
	}
	if cfg.Difficulty.Max < cfg.Difficulty.Base {
		cfg.Difficulty.Max = cfg.Difficulty.Base
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.CodeTTL, 10*time.Minute)
	def(&cfg.RefreshTTL, 30*24*time.Hour)
	def(&cfg.SessionTTL, 90*24*time.Hour)
	def(&cfg.ChallengeTTL, 10*time.Minute)
	def(&cfg.ClientKeyTTL, 24*time.Hour)
	if cfg.CodeAttempts <= 0 {
		cfg.CodeAttempts = 5
	}
	if cfg.SiteName == "" {
		cfg.SiteName = "Prizes"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	s := &Service{cfg: cfg}
	if err := s.LoadKeys(ctx); err != nil {
		return nil, fmt.Errorf("new identity service: %w", err)
	}
	return s, nil
}

// LoadKeys reloads the secrets, rotating those that are due. Every node
// calls it now and then (the serve command every minute), so all of them
// sign and check puzzles and hash addresses with the same keys. On error
// the current keys stay in force.
func (s *Service) LoadKeys(ctx context.Context) error {
	now := s.cfg.Now()
	stable, err := StableSecret(ctx, s.cfg.Secrets, now)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	challenge, err := s.cfg.Secrets.Secrets(ctx, PurposeChallenge, now, challengeKeyTTL, s.cfg.ChallengeTTL+time.Hour)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	client, err := s.cfg.Secrets.Secrets(ctx, PurposeClient, now, s.cfg.ClientKeyTTL, time.Hour)
	if err != nil {
		return fmt.Errorf("load keys: %w", err)
	}
	if len(challenge) == 0 || len(client) == 0 {
		return fmt.Errorf("load keys: the store returned no secret: %w", kind.ErrUnavailable)
	}
	s.keys.Store(&keyring{stable: stable, challenge: challenge, client: client[0]})
	return nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

func (s *Service) exempt(c Client) bool {
	if !c.IP.IsValid() {
		return false
	}
	ip := c.IP.Unmap()
	for _, p := range s.cfg.Exempt {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// take applies limits and spends a challenge in one round trip, and turns a
// refusal into its error.
func (s *Service) take(ctx context.Context, op string, limits []Limit, spend Spend) error {
	v, err := s.meter(ctx, op, limits, spend)
	if err != nil {
		return err
	}
	if v.Replayed {
		return fmt.Errorf("%s: challenge already used: %w", op, ErrChallengeInvalid)
	}
	if v.Refused != "" {
		return fmt.Errorf("%s: %w", op, &kind.RateLimitError{Limit: v.Refused, RetryAfter: v.RetryAfter})
	}
	return nil
}

// meter asks the meter for limits and spend, in one round trip, or none
// when there is nothing to ask.
func (s *Service) meter(ctx context.Context, op string, limits []Limit, spend Spend) (Verdict, error) {
	if len(limits) == 0 && spend.Key == "" {
		return Verdict{}, nil
	}
	v, err := s.cfg.Meter.Take(ctx, limits, spend)
	if err != nil {
		return Verdict{}, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// limit appends a limit unless its rate is off or the client is exempt.
func (s *Service) limit(limits []Limit, exempt bool, name, key string, r Rate) []Limit {
	if exempt || r.Off() || key == "" {
		return limits
	}
	return append(limits, Limit{Name: name, Key: key, Rate: r})
}
