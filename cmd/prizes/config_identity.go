package main

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/wsisvote/prizes/identity"
)

// identityConfig is the configuration of sign-in, mail and abuse controls.
type identityConfig struct {
	SMTPHost         string
	SMTPPort         int
	SMTPTLS          string
	SMTPUsername     string
	SMTPPassword     string
	MailFrom         string
	MailInbox        string
	SiteName         string
	DisposableFile   string
	Exempt           string
	Limits           identity.Limits
	PowBase          int
	PowMax           int
	AccessTTL        time.Duration
	RefreshTTL       time.Duration
	SessionTTL       time.Duration
	HistoryKeep      time.Duration
	ClientKeyTTL     time.Duration
	KeyRotationDelay time.Duration
}

// rateValue is a flag holding an identity.Rate.
type rateValue struct{ r *identity.Rate }

func (v rateValue) String() string {
	if v.r == nil {
		return ""
	}
	return v.r.String()
}

func (v rateValue) Set(s string) error {
	r, err := identity.ParseRate(s)
	if err != nil {
		return err
	}
	*v.r = r
	return nil
}

// bind registers the identity flags on fs with defaults from the environment.
func (c *identityConfig) bind(fs *flag.FlagSet, e env) error {
	b := binder{fs: fs, e: e}
	str, num, dur := b.str, b.num, b.dur
	rate := func(p *identity.Rate, flagName, envName string, def identity.Rate, usage string) error {
		*p = def
		if v, _ := e.lookup(envName); v != "" {
			r, err := identity.ParseRate(v)
			if err != nil {
				return fmt.Errorf("PRIZES_%s: %w", envName, err)
			}
			*p = r
		}
		fs.Var(rateValue{p}, flagName, usage+", EVENTS/PERIOD:BURST or off (env PRIZES_"+envName+")")
		return nil
	}
	l := identity.DefaultLimits()
	d := identity.DefaultDifficulty()
	for _, err := range []error{
		str(&c.SMTPHost, "smtp-host", "SMTP_HOST", "", "SMTP server that sends sign-in codes; none means codes cannot be sent"),
		num(&c.SMTPPort, "smtp-port", "SMTP_PORT", 0, "SMTP port (default by TLS mode: 25, 587 or 465)"),
		str(&c.SMTPTLS, "smtp-tls", "SMTP_TLS", "starttls", "SMTP TLS: starttls, tls (implicit) or none"),
		str(&c.SMTPUsername, "smtp-username", "SMTP_USERNAME", "", "SMTP user name"),
		str(&c.SMTPPassword, "smtp-password", "SMTP_PASSWORD", "", "SMTP password"),
		str(&c.MailFrom, "mail-from", "MAIL_FROM", "WSIS Prizes <noreply@localhost>", "sender of sign-in mail"),
		str(&c.MailInbox, "mail-inbox", "MAIL_INBOX", "", "web inbox of a local mail catcher, printed at start (make run sets it)"),
		str(&c.SiteName, "site-name", "SITE_NAME", "WSIS Prizes", "name of the service in mail"),
		str(&c.DisposableFile, "disposable-domains", "DISPOSABLE_DOMAINS_FILE", "",
			"extra list of disposable email domains (disposable_email_blocklist.conf format), reloaded when it changes"),
		str(&c.Exempt, "limit-exempt", "LIMIT_EXEMPT", "", "comma-separated client networks that rate limits do not apply to (a rehearsal's load generator)"),
		rate(&c.Limits.CodePerIP, "limit-code-ip", "LIMIT_CODE_IP", l.CodePerIP, "sign-in code requests per client address"),
		rate(&c.Limits.CodePerEmail, "limit-code-email", "LIMIT_CODE_EMAIL", l.CodePerEmail, "sign-in code requests per email address"),
		rate(&c.Limits.TokenPerIP, "limit-token-ip", "LIMIT_TOKEN_IP", l.TokenPerIP, "token requests per client address"),
		rate(&c.Limits.TokenPerEmail, "limit-token-email", "LIMIT_TOKEN_EMAIL", l.TokenPerEmail, "token requests per email address"),
		rate(&c.Limits.VotePerIP, "limit-vote-ip", "LIMIT_VOTE_IP", l.VotePerIP, "votes per client address"),
		rate(&c.Limits.VotePerAccount, "limit-vote-account", "LIMIT_VOTE_ACCOUNT", l.VotePerAccount, "votes per account"),
		num(&c.PowBase, "pow-difficulty", "POW_DIFFICULTY", int(d.Base), "hashes an ordinary proof-of-work challenge asks for"),
		num(&c.PowMax, "pow-max-difficulty", "POW_MAX_DIFFICULTY", int(d.Max), "most hashes a challenge asks for under load or suspicion"),
		dur(&c.AccessTTL, "access-ttl", "ACCESS_TTL", 15*time.Minute, "lifetime of access tokens from a sign-in"),
		dur(&c.RefreshTTL, "refresh-ttl", "REFRESH_TTL", 30*24*time.Hour, "how long an unused session lasts"),
		dur(&c.SessionTTL, "session-ttl", "SESSION_TTL", 90*24*time.Hour, "how long any session lasts"),
		dur(&c.HistoryKeep, "history-keep", "HISTORY_KEEP", 90*24*time.Hour, "how long an account's sign-in history is kept"),
		dur(&c.ClientKeyTTL, "client-key-ttl", "CLIENT_KEY_TTL", 24*time.Hour,
			"how long one secret hashes client addresses before it is replaced and then deleted"),
		dur(&c.KeyRotationDelay, "key-rotation-delay", "KEY_ROTATION_DELAY", 2*time.Minute,
			"how long a rotated-in signing key is published before it signs (more than the 1m key reload)"),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// exempt parses the exempt networks; a bare address is a /32 or /128.
func (c *identityConfig) exempt() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.Exempt, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("limit exempt %q: %w", s, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("limit exempt %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
