package main

import (
	"flag"
	"strconv"
	"strings"
	"time"
)

// notifyConfig configures the mail the contest sends through the outbox.
type notifyConfig struct {
	// PublicURL is the site's public address, which the links in mail
	// start with.
	PublicURL string
	// On runs the outbox worker inside serve.
	On bool
	// Every is how often a worker looks at the outbox when nothing wakes
	// it (a committed change wakes it at once).
	Every time.Duration
}

func (c *notifyConfig) bind(fs *flag.FlagSet, e env) error {
	b := binder{fs: fs, e: e}
	on := true
	if v, _ := e.lookup("NOTIFY"); v != "" {
		on, _ = strconv.ParseBool(v)
	}
	fs.BoolVar(&c.On, "notify", on, "run the outbox worker that sends the contest's mail inside serve (env PRIZES_NOTIFY)")
	for _, err := range []error{
		b.str(&c.PublicURL, "public-url", "PUBLIC_URL", "",
			"the site's public address, such as https://prizes.example.org, which links in mail start with (empty: http:// and --http-addr)"),
		b.dur(&c.Every, "notify-every", "NOTIFY_EVERY", 30*time.Second,
			"how often the outbox worker looks for due mail besides being woken by each change"),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// publicURL is the configured public address, or one made of the listen
// address for a local run.
func (a *app) publicURL() string {
	if u := strings.TrimRight(a.cfg.Notify.PublicURL, "/"); u != "" {
		return u
	}
	return "http://" + a.cfg.HTTPAddr
}
