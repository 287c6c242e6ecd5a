package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/wsisvote/prizes/identity"
)

// runPow is prizes pow solve: it reads a challenge as GET /api/v1/challenge
// answers it and prints the solution as the X-Challenge header carries it,
// so that a shell user can sign in or vote as a browser does:
//
//	SOLVED=$(curl -s "$API/api/v1/challenge?purpose=code" | prizes pow solve)
func runPow(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 || args[0] != "solve" {
		return fmt.Errorf("pow: usage: prizes pow solve [--in FILE] (the challenge JSON; standard input by default)")
	}
	fs, err := a.flags("pow solve")
	if err != nil {
		return err
	}
	in := fs.String("in", "-", "file holding the challenge JSON; - for standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("pow solve: %w", err)
		}
		defer f.Close()
		r = f
	}
	var c identity.Challenge
	if err := json.NewDecoder(io.LimitReader(r, 1<<16)).Decode(&c); err != nil {
		return fmt.Errorf("pow solve: the input is not a challenge's JSON: %w", err)
	}
	s, err := identity.Solve(ctx, c)
	if err != nil {
		return fmt.Errorf("pow solve: %w", err)
	}
	fmt.Fprintln(a.stdout, s.Encode())
	return nil
}
