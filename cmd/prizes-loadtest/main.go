// Command prizes-loadtest generates vote traffic and benchmarks the vote
// path:
//
//	prizes-loadtest bench        the whole benchmark behind `make bench`
//	prizes-loadtest run          load an already running API with voters from a file
//	prizes-loadtest baseline     serve the plain Gin handler the vote path is compared with
//	prizes-loadtest report       render the Markdown report again from its JSON
//	prizes-loadtest replay       play a scenario end to end on a fresh local deployment
//	prizes-loadtest chaos        kill and restart each part of a fresh deployment under load and account for every vote
//	prizes-loadtest failover     kill a Redis Cluster master under load, with and without --ack-replicas, and account for every vote
//	prizes-loadtest naive        compare Gin, the vote path and the naive insert-per-vote design
//	prizes-loadtest naive-serve  serve the naive handler that naive measures
//	prizes-loadtest fraud-gen    write a month of labelled votes as an export file and a labels file
//	prizes-loadtest fraud-report judge the fraud analyser's verdicts on labelled votes
//	prizes-loadtest fraud-live   play a labelled month through prizes serve and judge both fraud scorers
//	prizes-loadtest ledger-scale generate a ledger of up to 100 million votes by COPY and time recount, Champions and flushes on it
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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

// app is what every subcommand shares: the environment it was started with
// and where it writes.
type app struct {
	// args is the command line, program name first.
	args    []string
	getenv  func(string) string
	environ []string
	stdout  io.Writer
	stderr  io.Writer
}

var commands = []command{
	{"bench", "measure the vote path against a plain Gin handler and write the report", runBench},
	{"run", "send votes to a running API, closed loop or at a fixed rate", runLoad},
	{"baseline", "serve the plain Gin vote handler", runBaseline},
	{"report", "write the Markdown report again from a JSON report", runReport},
	{"replay", "play a scenario end to end on a fresh local deployment and report each stage", runReplay},
	{"chaos", "kill and restart each part of a fresh deployment under load and account for every vote", runChaos},
	{"failover", "kill a Redis Cluster master under load, with and without --ack-replicas, and account for every vote", runFailover},
	{"naive", "compare Gin, the vote path and the naive insert-per-vote design, and the flusher with raw COPY", runNaive},
	{"naive-serve", "serve the naive vote handler: one INSERT per vote", runNaiveServe},
	{"fraud-gen", "write a month of labelled votes as an export file and a labels file", runFraudGen},
	{"fraud-report", "judge the fraud analyser's verdicts on labelled votes and write the tables", runFraudReport},
	{"fraud-live", "play a labelled month through prizes serve on a fresh deployment and judge the ingest scorer and the analyser", runFraudLive},
	{"ledger-scale", "generate a ledger of up to 100 million votes by COPY on a private PostgreSQL and time recount, Champions, digest and flush batches on it", runLedgerScale},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{args: os.Args, getenv: os.Getenv, environ: os.Environ(), stdout: os.Stdout, stderr: os.Stderr}
	if err := a.run(ctx, os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "prizes-loadtest:", err)
		os.Exit(1)
	}
}

func (a *app) run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		a.usage()
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, a, args[1:])
		}
	}
	a.usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func (a *app) usage() {
	fmt.Fprintln(a.stderr, "usage: prizes-loadtest COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(a.stderr, "  %-9s %s\n", c.name, c.usage)
	}
}

func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("prizes-loadtest "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	return fs
}
