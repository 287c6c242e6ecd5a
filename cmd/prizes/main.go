// Command prizes runs a public-vote prize contest: the API and flusher
// (serve, flush), schema and data (migrate, seed), and operator tooling
// (voters, recount, check, dev).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, a *app, args []string) error
}

// app is what every subcommand shares: configuration, output and logging.
type app struct {
	cfg    config
	env    env
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

var commands = []command{
	{"serve", "run the API, metrics and (unless --flush=false) the flusher", runServe},
	{"flush", "run the flusher alone; several may run at once and share the work", runFlush},
	{"notify", "run the outbox worker alone: send the contest's queued mail (several may run at once)", runNotify},
	{"migrate", "apply the embedded schema migrations", runMigrate},
	{"seed", "seed data: --demo creates edition demo in its voting phase", runSeed},
	{"voters", "create verified voters and write voter_id<TAB>token lines", runVoters},
	{"recount", "recompute every project's counted votes from the ledger alone", runRecount},
	{"verify", "check published results offline: verify receipt|ledger|consistency --results FILE ...", runVerify},
	{"ledger", "write a published edition's anonymised ledger file: --edition E --out FILE", runLedger},
	{"check", "compare live counters with the ledger and report any difference", runCheck},
	{"dev", "migrate, seed the demo, create a voter and serve: the local stack", runDev},
	{"token", "mint an access token for an account in any role, for tests and rehearsals", runToken},
	{"account", "find or create a verified account by email, and with --role mint its token", runAccount},
	{"audit", "audit verify --edition E: check the audit chain and exit 1 on any break", runAudit},
	{"keys", "list, rotate or revoke the token signing keys", runKeys},
	{"roles", "grant, revoke or list the organiser and juror roles of an account", runRoles},
	{"fraud", "fraud review: export, analyze, cases, show, decide, tally (prizes fraud for the list)", runFraud},
	{"backup", "backup --out FILE: pg_dump of the system of record (ledger, results, audit chain)", runBackup},
	{"restore", "restore --in FILE: a backup into a new, empty database", runRestore},
	{"pow", "pow solve: solve a proof-of-work challenge read as JSON, for the X-Challenge header", runPow},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "prizes:", err)
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		os.Exit(1)
	}
}

// exitCode lets a command choose its exit status (check and recount --verify
// exit 1 on a difference, without it being an operational failure).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a := &app{env: env(getenv), stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, a, args[1:])
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: prizes COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nEvery flag also reads a PRIZES_* environment variable; run prizes COMMAND -h for them.")
}

// flags returns a flag set for a subcommand with the shared settings bound.
func (a *app) flags(name string) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet("prizes "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	if err := a.cfg.bind(fs, a.env); err != nil {
		return nil, err
	}
	return fs, nil
}

// editionArg parses the flags of a subcommand whose one flag is --edition
// (described by usage), which it requires, and returns the edition.
func (a *app) editionArg(name, usage string, args []string) (string, error) {
	fs, err := a.flags(name)
	if err != nil {
		return "", err
	}
	edition := fs.String("edition", "", usage)
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if *edition == "" {
		return "", fmt.Errorf("%s: --edition is required", name)
	}
	return *edition, nil
}
