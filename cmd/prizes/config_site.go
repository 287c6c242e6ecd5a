package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"flag"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	npg "github.com/wsisvote/prizes/notify/postgres"
)

// siteConfig is the configuration of the public site.
type siteConfig struct {
	Off        bool
	Edition    string
	Accent     string
	AccentDark string
}

func (c *siteConfig) bind(fs *flag.FlagSet, e env) error {
	b := binder{fs: fs, e: e}
	for _, err := range []error{
		b.str(&c.Edition, "site-edition", "SITE_EDITION", "", "edition the public site's home page opens (empty: a list of editions)"),
		b.str(&c.Accent, "site-accent", "SITE_ACCENT", "", "the public site's accent colour, #rrggbb (buttons and links)"),
		b.str(&c.AccentDark, "site-accent-dark", "SITE_ACCENT_DARK", "", "the public site's header colour, #rrggbb"),
	} {
		if err != nil {
			return err
		}
	}
	fs.BoolVar(&c.Off, "site-off", false, "serve the API alone, without the public site")
	return nil
}

// wireSite configures the public site and the ballot orders. Their keys are
// derived from the identity service's stable secret, which every node reads
// from PostgreSQL, so all nodes accept each other's forms and show a voter
// the same ballot order, on the site and through the API.
func (a *app) wireSite(ctx context.Context, st *stack, cfg *api.Config) error {
	secret, err := identity.StableSecret(ctx, ipostgres.New(st.pg.Pool()), time.Now())
	if err != nil {
		return err
	}
	derive := func(label string) []byte {
		mac := hmac.New(sha256.New, secret.Key)
		mac.Write([]byte(label))
		return mac.Sum(nil)
	}
	cfg.BallotKey = derive("ballot order")
	if sc := a.cfg.Site; !sc.Off {
		cfg.Site = api.SiteConfig{Name: a.cfg.Identity.SiteName, Edition: sc.Edition, Accent: sc.Accent, AccentDark: sc.AccentDark,
			Key: derive("public site"), Results: cfg.Prizes.Results, Languages: npg.New(st.pg.Pool())}
	}
	return nil
}
