package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsisvote/prizes/loadtest/fraudgen"
	"github.com/wsisvote/prizes/loadtest/fraudreport"
)

func runFraudGen(_ context.Context, a *app, args []string) error {
	fs := a.flags("fraud-gen")
	out := fs.String("out", "votes.jsonl", "export file to write: one antifraud.Vote per line, in the order of casting")
	labels := fs.String("labels", "labels.jsonl", "labels file to write: one antifraud.Label per line, in the same order")
	summary := fs.String("summary", "", "also write what the traffic holds (each label's accounts and votes, each attack's targets) as JSON to this file")
	votes := fs.Int("votes", fraudgen.WSISVotes, "about how many votes in all; the crowds scale with it, the attacks with the standing")
	seed := fs.Uint64("seed", fraudgen.Default().Seed, "seed of every draw")
	edition := fs.String("edition", fraudgen.Default().Edition, "edition the nominees' ids are derived from, as prizes seed --demo derives them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *votes <= 0 {
		return errors.New("fraud-gen: --votes must be positive")
	}
	c := fraudgen.Scaled(*votes)
	c.Seed, c.Edition = *seed, *edition
	began := time.Now()
	t, err := fraudgen.Generate(c)
	if err != nil {
		return err
	}
	generated := time.Since(began)
	if err := writeFile(*out, t.WriteVotes); err != nil {
		return err
	}
	if err := writeFile(*labels, t.WriteLabels); err != nil {
		return err
	}
	s := t.Summary()
	if *summary != "" {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*summary, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("fraud-gen: %w", err)
		}
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "label\thonest\taccounts\tvotes")
	for _, l := range s.Labels {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\n", l.Label, l.Honest, l.Accounts, l.Votes)
	}
	fmt.Fprintf(tw, "all\t\t%d\t%d\n", s.Accounts, s.Votes)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, at := range s.Attacks {
		var ts []string
		for _, tg := range at.Targets {
			ts = append(ts, fmt.Sprintf("%s #%d (%d honest, fifth %d) +%d", tg.Category, tg.Rank, tg.Honest, tg.Fifth, tg.Added))
		}
		fmt.Fprintf(a.stdout, "%s: %s; changes the top five of %s\n", at.Label, strings.Join(ts, ", "), strings.Join(at.Changes, " "))
	}
	fmt.Fprintf(a.stderr, "fraud-gen: %d votes generated in %.1fs, written in %.1fs to %s and %s\n",
		s.Votes, generated.Seconds(), (time.Since(began) - generated).Seconds(), *out, *labels)
	return nil
}

// writeFile creates path and writes it with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fraudIntro says where the figures of docs/fraud.md come from.
const fraudIntro = "`make fraud` writes this page: `prizes-loadtest fraud-gen` generates a month of votes at WSIS scale " +
	"(360 nominees in 18 categories, about 1.3 million votes) with the honest crowds and attacks below, each vote labelled; " +
	"`prizes fraud analyze` gives its verdict on every vote of the export without seeing the labels; " +
	"`prizes-loadtest fraud-report` compares the two. Each attack is sized from the honest standing so that, counted, " +
	"it would put at least one of its projects into a category's top five. " +
	"[fraud-live.md](fraud-live.md) plays a smaller month of the same traffic through `prizes serve` and judges the " +
	"ingest scorer and the analyser on the live ledger."

func runFraudReport(_ context.Context, a *app, args []string) error {
	fs := a.flags("fraud-report")
	votes := fs.String("votes", "votes.jsonl", "export file the verdicts are about")
	labels := fs.String("labels", "labels.jsonl", "labels file that came with it")
	verdicts := fs.String("verdicts", "verdicts.jsonl", "the analyser's verdicts: one antifraud.Verdict per vote")
	summary := fs.String("summary", "", "what fraud-gen --summary wrote about the traffic, to describe it in the report")
	out := fs.String("out", "", "also write the report as Markdown to this file")
	strict := fs.Bool("strict", false, "exit non-zero when a target is missed")
	t := fraudreport.DefaultTargets()
	fs.Float64Var(&t.Recall, "min-recall", t.Recall, "least share of attack votes flagged")
	fs.Float64Var(&t.HonestFlagged, "max-honest-flagged", t.HonestFlagged, "largest share of honest votes flagged")
	fs.IntVar(&t.Champions, "champions", t.Champions, "Champions per category")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rep, err := fraudreport.ReadFiles(*votes, *labels, *verdicts, t)
	if err != nil {
		return err
	}
	page := fraudreport.Page{Intro: fraudIntro, Describe: fraudgen.Describe}
	if *summary != "" {
		b, err := os.ReadFile(*summary)
		if err != nil {
			return fmt.Errorf("fraud-report: %w", err)
		}
		var s fraudgen.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("fraud-report: %s: %w", *summary, err)
		}
		page.Traffic = s.Markdown()
	}
	md, err := fraudreport.Markdown(rep, page)
	if err != nil {
		return fmt.Errorf("fraud-report: %w", err)
	}
	fmt.Fprint(a.stdout, md)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			return fmt.Errorf("fraud-report: %w", err)
		}
		fmt.Fprintf(a.stderr, "fraud-report: wrote %s\n", *out)
	}
	if *strict && !rep.Met() {
		return errors.New("fraud-report: targets missed")
	}
	return nil
}
