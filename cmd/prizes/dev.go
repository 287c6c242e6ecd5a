package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/wsisvote/prizes/voting/postgres"
)

// runDev is what `make run` starts: migrate, seed the demo edition, create a
// voter whose token is written to a file, and serve with the flusher.
func runDev(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("dev")
	if err != nil {
		return err
	}
	tokenFile := fs.String("token-file", filepath.Join(".data", "voter.tsv"), "where to write the demo voter's id and token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	siteEdition := a.cfg.Site.Edition
	if siteEdition == "" {
		siteEdition = "demo"
	}
	if err := migrateAndSeed(ctx, a, demoTokenFile(*tokenFile)); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*tokenFile), 0o755); err != nil {
		return err
	}
	if err := runVoters(ctx, a, []string{"--edition", "demo", "--count", "1", "--out", *tokenFile}); err != nil {
		return err
	}
	// runVoters parses its own flags into a.cfg, so the site's edition is
	// set after it.
	a.cfg.Site.Edition = siteEdition
	return a.serve(ctx, func(addr string) {
		base := "http://" + addr
		fmt.Fprintf(a.stdout, `
The demo contest is running.
  site         %[4]s/ (sign-in codes arrive in the mail catcher's inbox)
  API          %[1]s/api/v1/editions/demo/projects?category=C7-ehealth
  live tally   %[1]s/api/v1/editions/demo/tally (organisers only, as WSIS keeps it)
  metrics      %[1]s/metrics
  voter token  %[2]s (voter_id<TAB>token)
  people       %[5]s: an organiser, a project owner and two jurors
               (role<TAB>email<TAB>token; or sign in on the site with the address)
  editions     demo (voting), demo-submission (entries open), demo-jury (the jury
               at work), demo-published (results published)
  more voters  PRIZES_DATABASE_URL='%[3]s' bin/prizes voters --edition demo --count N --out FILE

Cast a first vote from another shell:
  TOKEN=$(cut -f2 %[2]s)
  PROJECT=$(curl -s '%[1]s/api/v1/editions/demo/projects?category=C7-ehealth' | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  curl -s -X POST %[1]s/api/v1/editions/demo/votes -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d "{\"project_id\":\"$PROJECT\"}"

Stop with Ctrl-C.
`, base, *tokenFile, a.cfg.DatabaseURL, siteBase(addr), demoTokenFile(*tokenFile))
	})
}

// siteBase is the address to open the site at: a loopback address is
// named localhost, the one host where browsers keep the site's Secure
// cookies over plain HTTP.
func siteBase(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && (host == "127.0.0.1" || host == "::1") {
		return "http://localhost:" + port
	}
	return "http://" + addr
}

// migrateAndSeed prepares a local database for dev.
func migrateAndSeed(ctx context.Context, a *app, peopleFile string) error {
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	pg := postgres.New(db.Pool())
	if err := seedDemo(ctx, a, pg, "demo", 20); err != nil {
		return err
	}
	return seedPhases(ctx, a, pg, peopleFile)
}
