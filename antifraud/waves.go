package antifraud

import (
	"slices"
	"time"
)

// burstCrowds finds the bursts of votes for one project: windows of
// BurstWindow in which a project got at least FocusLift times its share of
// its category's votes, merged where they touch. A project's own campaign
// makes such bursts honestly, so a burst is only a crowd to weigh; the
// evidence decides (a campaign's new voters look like the edition's, a
// farm's are fresh, scripted or staged).
func (an *analysis) burstCrowds() {
	ix := an.ix
	if len(ix.votes) == 0 {
		return
	}
	step := bucketStep(ix.end - ix.start)
	hours := int((ix.end-ix.start)/step) + 1
	np, nc := len(ix.projects), len(ix.categories)
	ph := make([]int32, np*hours)
	ch := make([]int32, nc*hours)
	byProject := make([][]int32, np)
	for v := range ix.votes {
		vr := &ix.votes[v]
		h := int((vr.at - ix.start) / step)
		ph[int(vr.project)*hours+h]++
		ch[int(vr.category)*hours+h]++
		byProject[vr.project] = append(byProject[vr.project], int32(v))
	}
	for p := range np {
		c := ix.projectCat[p]
		spans := an.hotSpans(ph[p*hours:(p+1)*hours], ch[int(c)*hours:(int(c)+1)*hours],
			float64(an.b.projVotes[p]), float64(an.b.catVotes[c]), step)
		if len(spans) == 0 {
			continue
		}
		vs := byProject[p]
		for _, s := range spans {
			from, to := ix.start+int64(s.from)*step, ix.start+int64(s.to)*step
			var in []int32
			for _, v := range vs {
				if t := ix.votes[v].at; t >= from && t < to {
					in = append(in, v)
				}
			}
			an.addCrowd(&crowd{kind: ReasonVoteBurst, timed: true, subject: unixTime(from).Format(time.RFC3339),
				projects: []int32{int32(p)}, votes: in, lift: s.c / s.e, expected: s.e})
		}
	}
}

// waveCrowds finds sign-up waves feeding one project: windows of
// BurstWindow in which accounts created then went on to vote for a project
// at least FocusLift times as often as the edition's new accounts do. The
// window is on creation time, not on voting time, so accounts prepared in
// a batch and used over the following days are found together. Only
// accounts created during the edition, or FreshAge before it, take part.
// Being fresh is what selected them, so freshness is no evidence here.
func (an *analysis) waveCrowds() {
	ix := an.ix
	if len(ix.votes) == 0 {
		return
	}
	base := ix.start - secs(an.o.FreshAge)
	step := bucketStep(ix.end - base)
	hours := int((ix.end-base)/step) + 1
	np, nc := len(ix.projects), len(ix.categories)
	wp := make([]int32, np*hours)
	wc := make([]int32, nc*hours)
	newVotes := make([]int32, np) // votes of new accounts per project
	newCat := make([]int32, nc)
	byProject := make([][]int32, np)
	for a := range ix.accounts {
		created := ix.accounts[a].created
		if created < base || created > ix.end {
			continue
		}
		h := int((created - base) / step)
		for _, v := range ix.votesOf(int32(a)) {
			vr := &ix.votes[v]
			wp[int(vr.project)*hours+h]++
			wc[int(vr.category)*hours+h]++
			newVotes[vr.project]++
			newCat[vr.category]++
			byProject[vr.project] = append(byProject[vr.project], v)
		}
	}
	for p := range np {
		c := ix.projectCat[p]
		if newCat[c] == 0 {
			continue
		}
		spans := an.hotSpans(wp[p*hours:(p+1)*hours], wc[int(c)*hours:(int(c)+1)*hours],
			float64(newVotes[p]), float64(newCat[c]), step)
		for _, s := range spans {
			from, to := base+int64(s.from)*step, base+int64(s.to)*step
			var in []int32
			for _, v := range byProject[p] {
				if t := ix.accounts[ix.votes[v].account].created; t >= from && t < to {
					in = append(in, v)
				}
			}
			an.addCrowd(&crowd{kind: ReasonSignupWave, own: ReasonFreshAccounts, timed: true, subject: unixTime(from).Format(time.RFC3339),
				projects: []int32{int32(p)}, votes: in, lift: s.c / s.e, expected: s.e})
		}
	}
}

// span is a run of hours [from, to) whose count c is far above the e
// expected.
type span struct {
	from, to int
	c, e     float64
}

// bucketStep is the width in seconds of the buckets a span of time is
// counted in: an hour, or more for spans so long that hourly buckets would
// take too much memory (over about two years).
func bucketStep(span int64) int64 {
	const maxBuckets = 20000
	return 3600 * (span/3600/maxBuckets + 1)
}

// hotSpans slides a window of BurstWindow over a project's counts per
// bucket of step seconds and its category's, marks the windows where the
// project is focused (far above its share of the category outside the
// window, of projTotal votes in catTotal, times the category's count in
// it), and merges the marked windows that overlap or touch into spans.
func (an *analysis) hotSpans(proj, cat []int32, projTotal, catTotal float64, step int64) []span {
	expect := func(c, n float64) float64 {
		if catTotal-n <= 0 {
			return n * projTotal / max(catTotal, 1)
		}
		return n * max(projTotal-c, 0) / (catTotal - n)
	}
	w := max(int(secs(an.o.BurstWindow)/step), 1)
	var out []span
	var c, n float64
	for h := range proj {
		c += float64(proj[h])
		n += float64(cat[h])
		if h >= w {
			c -= float64(proj[h-w])
			n -= float64(cat[h-w])
		}
		if c < float64(an.o.MinGroup) || !focused(c, expect(c, n), an.o) {
			continue
		}
		from := max(h-w+1, 0)
		if k := len(out); k > 0 && out[k-1].to >= from {
			out[k-1].to = h + 1
			continue
		}
		out = append(out, span{from: from, to: h + 1})
	}
	// The counts over each merged span, for the crowd's lift.
	for i := range out {
		var c, n float64
		for h := out[i].from; h < out[i].to; h++ {
			c += float64(proj[h])
			n += float64(cat[h])
		}
		out[i].c, out[i].e = c, expect(c, n)
	}
	return slices.Clip(out)
}
