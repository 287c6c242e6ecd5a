package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/transparency/verify"
	"github.com/wsisvote/prizes/voting/postgres"
)

// runVerify checks published results offline, from files alone, with no
// database:
//
//	prizes verify receipt --results results.json --proof proof.json --vote-id ID
//	prizes verify ledger --results results.json --ledger ledger.jsonl
//	prizes verify consistency --results results.json --proof consistency.json
//
// It prints what it checked and exits 1 on the first failed check, naming it.
func runVerify(_ context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("verify: want receipt, ledger or consistency")
	}
	fs := flag.NewFlagSet("prizes verify "+args[0], flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	resultsPath := fs.String("results", "", "the signed results document (GET .../results)")
	proofPath := fs.String("proof", "", "receipt: the inclusion proof (GET .../log/proof/inclusion); consistency: the consistency proof (GET .../log/proof/consistency)")
	voteID := fs.String("vote-id", "", "receipt: the vote id on the voter's receipt")
	ledgerPath := fs.String("ledger", "", "ledger: the anonymised ledger file (GET .../ledger.jsonl)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *resultsPath == "" {
		return fmt.Errorf("verify %s: --results is required", args[0])
	}
	raw, err := os.ReadFile(*resultsPath)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	d, err := verify.Results(raw)
	if err != nil {
		return a.verifyFailed(err)
	}
	fmt.Fprintf(a.stdout, "ok %s: the results of %s are signed by their key; the final checkpoint (size %d) is signed by the log key\n",
		verify.CheckSignature, d.Edition, d.Transparency.Size)
	switch args[0] {
	case "receipt":
		if *proofPath == "" || *voteID == "" {
			return fmt.Errorf("verify receipt: --proof and --vote-id are required")
		}
		var p verify.InclusionProof
		if err := readJSON(*proofPath, &p); err != nil {
			return err
		}
		if err := verify.Receipt(d, p, *voteID); err != nil {
			return a.verifyFailed(err)
		}
		fmt.Fprintf(a.stdout, "ok %s: vote %s, for project %s in %s, is leaf %d of the log the results' final checkpoint commits to\n",
			verify.CheckInclusion, *voteID, p.ProjectID, p.Category, p.Index)
	case "ledger":
		if *ledgerPath == "" {
			return fmt.Errorf("verify ledger: --ledger is required")
		}
		f, err := os.Open(*ledgerPath)
		if err != nil {
			return fmt.Errorf("verify ledger: %w", err)
		}
		defer f.Close()
		start := time.Now()
		rep, err := verify.Ledger(d, f)
		if err != nil {
			return a.verifyFailed(err)
		}
		fmt.Fprintf(a.stdout, "ok %s, %s, %s, %s: %s (%v)\n", verify.CheckLedgerFile, verify.CheckLogRoot, verify.CheckStatusRoot,
			verify.CheckCounts, rep, time.Since(start).Round(time.Millisecond))
	case "consistency":
		if *proofPath == "" {
			return fmt.Errorf("verify consistency: --proof is required")
		}
		var p struct {
			Hashes         []string `json:"hashes"`
			FromCheckpoint string   `json:"from_checkpoint"`
			ToCheckpoint   string   `json:"to_checkpoint"`
		}
		if err := readJSON(*proofPath, &p); err != nil {
			return err
		}
		hashes := make([][]byte, len(p.Hashes))
		for i, h := range p.Hashes {
			if hashes[i], err = base64.StdEncoding.DecodeString(h); err != nil {
				return a.verifyFailed(&verify.Failure{Check: verify.CheckConsistency, Message: fmt.Sprintf("hash %d is not base64", i)})
			}
		}
		t := d.Transparency
		if err := verify.Consistency([]byte(p.FromCheckpoint), []byte(p.ToCheckpoint), t.Origin, t.LogKey, hashes); err != nil {
			return a.verifyFailed(err)
		}
		fmt.Fprintf(a.stdout, "ok %s: the later checkpoint extends the earlier one\n", verify.CheckConsistency)
	default:
		return fmt.Errorf("verify: unknown check %q; want receipt, ledger or consistency", args[0])
	}
	return nil
}

// verifyFailed reports a failed check and makes the command exit 1.
func (a *app) verifyFailed(err error) error {
	var f *verify.Failure
	if !errors.As(err, &f) {
		return err
	}
	fmt.Fprintf(a.stdout, "FAILED %s: %s\n", f.Check, f.Message)
	return exitCode(1)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("verify: %s: %w", path, err)
	}
	return nil
}

// runLedger writes a published edition's anonymised ledger file:
//
//	prizes ledger --edition E --out FILE
func runLedger(ctx context.Context, a *app, args []string) error {
	fs, err := a.flags("ledger")
	if err != nil {
		return err
	}
	edition := fs.String("edition", "", "the published edition")
	out := fs.String("out", "", "the file to write (the ledger file, JSON Lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *edition == "" || *out == "" {
		return fmt.Errorf("ledger: --edition and --out are required")
	}
	db, err := a.database(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	start := time.Now()
	err = ppg.New(postgres.New(db.Pool()).Pool(), ppg.Options{}).WriteLedger(ctx, *edition, f)
	if cErr := f.Close(); err == nil {
		err = cErr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "ledger of %s written to %s in %v\n", *edition, *out, time.Since(start).Round(time.Millisecond))
	return nil
}
