package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	iredis "github.com/wsisvote/prizes/identity/redis"
	"github.com/wsisvote/prizes/identity/smtp"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/poller"
)

// identityRefresh is how often a node reloads its identity secrets, picks
// up a rotated signing key and rereads the disposable domains file.
const identityRefresh = time.Minute

// identityPurge is how often a node deletes account history past
// PRIZES_HISTORY_KEEP.
const identityPurge = time.Hour

// wireIdentity builds sign-in, token and abuse-control services into cfg. ctx
// lives as long as the server. It returns the function that closes the
// rate-limit meter, to be called once the API and the background work have
// stopped.
func (a *app) wireIdentity(ctx context.Context, st *stack, cfg *api.Config) (func(), error) {
	ic := a.cfg.Identity
	store := ipostgres.New(st.pg.Pool())
	exempt, err := ic.exempt()
	if err != nil {
		return nil, err
	}
	blocklist, err := identity.NewBlocklist()
	if err != nil {
		return nil, err
	}
	var listMod time.Time
	if ic.DisposableFile != "" {
		if listMod, err = loadDisposable(blocklist, ic.DisposableFile, time.Time{}); err != nil {
			return nil, err
		}
	}
	mailer, err := a.mailer()
	if err != nil {
		return nil, err
	}
	meter, err := iredis.New(ctx, st.redis, iredis.Options{Prefix: a.cfg.RedisPrefix, Deadline: a.cfg.RedisDeadline})
	if err != nil {
		return nil, err
	}
	// The per-account vote limit is applied by the vote store inside its
	// append step (see voteLimit), where it costs no round trip; the gate
	// keeps the per-address limit and the challenge.
	limits := ic.Limits
	limits.VotePerAccount = identity.Rate{}
	svc, err := identity.New(ctx, identity.Config{
		Accounts: store, Codes: store, Sessions: store, Secrets: store, Meter: meter, Mailer: mailer,
		Blocklist: blocklist, Limits: limits, Exempt: exempt, SiteName: ic.SiteName,
		Difficulty: identity.Difficulty{Base: int64(ic.PowBase), Max: int64(ic.PowMax),
			LoadThreshold: identity.DefaultDifficulty().LoadThreshold, ClientThreshold: identity.DefaultDifficulty().ClientThreshold},
		RefreshTTL: ic.RefreshTTL, SessionTTL: ic.SessionTTL, ClientKeyTTL: ic.ClientKeyTTL,
	})
	if err != nil {
		meter.Close()
		return nil, err
	}
	key, err := store.ActiveSigningKey(ctx, time.Now())
	if err != nil {
		meter.Close()
		return nil, err
	}
	signer, err := api.NewSigner(key.ID, key.Private, time.Now)
	if err != nil {
		meter.Close()
		return nil, err
	}
	issuer := api.NewIssuer(signer)
	cfg.Identity = api.IdentityConfig{SignIn: svc, Accounts: svc, Gate: svc, Issuer: issuer, AccessTTL: ic.AccessTTL}

	if ic.MailInbox != "" {
		a.log.Info("sign-in codes are delivered to a local mail catcher", "inbox", ic.MailInbox)
	}
	// Each reload reports its own failure and leaves what it reloads as it
	// was; the others go ahead.
	refresh := poller.Poller{
		Every: identityRefresh,
		Fn: func(ctx context.Context, _ time.Time) error {
			if err := svc.LoadKeys(ctx); err != nil && ctx.Err() == nil {
				st.metrics.StoreError("postgres", "identity_keys")
				a.log.Warn("reload identity secrets", "err", err)
			}
			if k, err := store.ActiveSigningKey(ctx, time.Now()); err != nil {
				if ctx.Err() == nil {
					st.metrics.StoreError("postgres", "signing_key")
					a.log.Warn("reload signing key", "err", err)
				}
			} else if k.ID != issuer.Signer().KeyID() {
				if s, err := api.NewSigner(k.ID, k.Private, time.Now); err == nil {
					issuer.Set(s)
					a.log.Info("signing with a rotated key", "kid", k.ID)
				}
			}
			if ic.DisposableFile != "" {
				if mod, err := loadDisposable(blocklist, ic.DisposableFile, listMod); err != nil {
					a.log.Warn("reload disposable domains", "file", ic.DisposableFile, "err", err)
				} else {
					listMod = mod
				}
			}
			return nil
		},
	}
	purge := poller.Poller{
		Every: identityPurge,
		Fn: func(ctx context.Context, now time.Time) error {
			_, err := store.Purge(ctx, now, ic.HistoryKeep)
			return err
		},
		OnError: func(err error) {
			st.metrics.StoreError("postgres", "identity_purge")
			a.log.Warn("purge identity data", "err", err)
		},
	}
	st.background(refresh.Run)
	st.background(purge.Run)
	return meter.Close, nil
}

// loadDisposable replaces the blocklist's extra domains with the file at
// path when it changed since mod, and returns its modification time.
func loadDisposable(b *identity.Blocklist, path string, mod time.Time) (time.Time, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return mod, fmt.Errorf("disposable domains: %w", err)
	}
	if fi.ModTime().Equal(mod) {
		return mod, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return mod, fmt.Errorf("disposable domains: %w", err)
	}
	defer f.Close()
	if err := b.Replace(f); err != nil {
		return mod, err
	}
	return fi.ModTime(), nil
}

// mailer builds the SMTP mailer, or, with no SMTP server configured, one
// that refuses, so the service runs but sign-in codes answer 503.
func (a *app) mailer() (identity.Mailer, error) {
	ic := a.cfg.Identity
	if ic.SMTPHost == "" {
		a.log.Warn("no SMTP server configured (PRIZES_SMTP_HOST): sign-in codes cannot be sent")
		return noMailer{}, nil
	}
	m, err := smtp.New(smtp.Config{Host: ic.SMTPHost, Port: ic.SMTPPort, TLS: ic.SMTPTLS,
		Username: ic.SMTPUsername, Password: ic.SMTPPassword, From: ic.MailFrom})
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return m, nil
}

// noMailer is the mailer of a deployment without a mail server.
type noMailer struct{}

func (noMailer) Send(context.Context, identity.Message) error {
	return fmt.Errorf("send mail: no SMTP server configured: %w", kind.ErrUnavailable)
}
