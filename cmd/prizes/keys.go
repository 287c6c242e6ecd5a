package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/voting/postgres"
)

// keyJSON is one signing key as prizes keys prints it.
type keyJSON struct {
	Kid       string     `json:"kid"`
	Created   time.Time  `json:"created"`
	Activates time.Time  `json:"activates"`
	Retired   *time.Time `json:"retired,omitempty"`
	State     string     `json:"state"`
}

// runKeys manages the token signing keys that every node shares:
//
//	prizes keys list
//	prizes keys rotate [--delay 2m]   a new key signs after the delay; the old one verifies for a day more
//	prizes keys revoke KID            for a leaked key: nodes stop trusting it at their next reload
func runKeys(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("keys")
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("keys: want list, rotate or revoke KID")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pg := postgres.New(db.Pool())
	store := ipostgres.New(pg.Pool())
	now := time.Now()
	switch fs.Arg(0) {
	case "list":
	case "rotate":
		delay := a.cfg.Identity.KeyRotationDelay
		if delay < time.Minute+10*time.Second {
			return fmt.Errorf("keys rotate: --key-rotation-delay %v must exceed the one-minute key reload of the nodes", delay)
		}
		k, err := store.RotateSigningKey(ctx, now, delay)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "key %s signs from %s; the keys it replaces verify for %v after that\n",
			k.ID, k.Activates.Format(time.RFC3339), voterTokenTTL)
	case "revoke":
		if fs.NArg() != 2 {
			return fmt.Errorf("keys revoke: want the key id")
		}
		if err := store.RevokeSigningKey(ctx, fs.Arg(1)); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "key %s revoked: every node drops it within a minute; tokens it signed stop working\n", fs.Arg(1))
	default:
		return fmt.Errorf("keys: unknown action %q; want list, rotate or revoke KID", fs.Arg(0))
	}
	keys, err := store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	out := make([]keyJSON, 0, len(keys))
	for _, k := range keys {
		j := keyJSON{Kid: k.ID, Created: k.Created.UTC(), Activates: k.Activates.UTC(), State: keyState(k, now)}
		if !k.Retired.IsZero() {
			r := k.Retired.UTC()
			j.Retired = &r
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// keyState says what a key does at now: pending (published, not signing
// yet), signing, verifying (retired, its tokens still valid) or expired.
func keyState(k ipostgres.SigningKey, now time.Time) string {
	switch {
	case now.Before(k.Activates):
		return "pending"
	case k.Retired.IsZero() || now.Before(k.Retired):
		return "signing"
	case now.Before(k.Retired.Add(voterTokenTTL)):
		return "verifying"
	}
	return "expired"
}
