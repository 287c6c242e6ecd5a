package bench

// Budget is what the ratio target leaves prizes serve, worked out from the
// CPU the closed-loop runs measured, in µs per accepted vote, each a mean
// over the runs of its kind. The model is the one the machine imposes: a
// run's rate is the cores it kept busy divided by the CPU each vote took, so
// the vote path reaches a ratio r only if each of its votes takes no more
// than its busy cores divided by r times the baseline's rate.
type Budget struct {
	// Handler is the Gin handler's CPU per vote in the baseline runs.
	Handler float64
	// Serve is prizes serve's CPU per vote in the vote path runs, and Rest
	// everything else those runs kept busy per vote: the load generator,
	// Redis, PostgreSQL, interrupts and anything else on the machine.
	Serve, Rest float64
	// Allowed is the most prizes serve could take per vote for the vote
	// path to reach TargetRatio, Rest unchanged.
	Allowed float64
	// Ceiling is the ratio the vote path would reach if prizes serve took
	// no more CPU per vote than the Gin handler, Rest unchanged.
	Ceiling float64
}

// CPUBudget works out the Budget from the closed-loop baseline and vote
// path runs of rep. It returns false when rep has no such runs with their
// CPU measured.
func CPUBudget(rep *Report) (Budget, bool) {
	var a, b struct{ rate, machine, own, n float64 }
	// The baseline's machine share is not needed: its rate already says what
	// the vote path is compared with.
	for _, r := range rep.Runs {
		if r.Mode != "closed" || r.AcceptedPerS <= 0 || r.CPU["machine"] <= 0 {
			continue
		}
		switch r.Target {
		case "baseline":
			a.rate += r.AcceptedPerS
			a.own += r.CPU["baseline"]
			a.n++
		case "vote path":
			b.rate += r.AcceptedPerS
			b.machine += r.CPU["machine"]
			b.own += r.CPU["prizes serve"]
			b.n++
		}
	}
	if a.n == 0 || b.n == 0 || a.own <= 0 || b.own <= 0 {
		return Budget{}, false
	}
	// Means of rates and cores, then per vote: µs = cores / (votes/s) × 1e6.
	aRate, bRate := a.rate/a.n, b.rate/b.n
	bMachine := b.machine / b.n
	out := Budget{
		Handler: a.own / a.n / aRate * 1e6,
		Serve:   b.own / b.n / bRate * 1e6,
	}
	out.Rest = bMachine/bRate*1e6 - out.Serve
	out.Allowed = bMachine/(TargetRatio*aRate)*1e6 - out.Rest
	out.Ceiling = bMachine / ((out.Rest + out.Handler) / 1e6) / aRate
	return out, true
}
