package fraudgen

import (
	"math"
	"math/rand/v2"
	"time"
)

// Times inside the generator are milliseconds since the Unix epoch.
const (
	second = int64(1000)
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour
)

// diurnal is how active people are at each local hour: asleep at night,
// busy in the morning, most active at lunch and in the evening.
var diurnal = []float64{
	0.12, 0.06, 0.04, 0.03, 0.04, 0.09, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0,
	1.05, 1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.25, 1.25, 1.05, 0.7, 0.35,
}

// clock is the voting month: when it opens and closes, how busy each day
// is, and how busy each hour of the day.
type clock struct {
	start, end int64
	days       int
	dayCDF     []float64
	hourCDF    []float64
	officeCDF  []float64
}

func newClock(start time.Time, days int) *clock {
	c := &clock{start: start.UnixMilli(), days: days}
	c.end = c.start + int64(days)*day
	for d := 0; d < days; d++ {
		w := 1.0
		switch wd := start.AddDate(0, 0, d).Weekday(); wd {
		case time.Saturday, time.Sunday:
			w = 0.75
		}
		// Opening draws the announced crowd; the last days the reminders.
		switch {
		case d == 0:
			w *= 3
		case d == 1:
			w *= 2
		case d == days-1:
			w *= 2.5
		case d == days-2:
			w *= 2
		case d == days-3:
			w *= 1.5
		}
		c.dayCDF = appendCDF(c.dayCDF, w)
	}
	for h, w := range diurnal {
		c.hourCDF = appendCDF(c.hourCDF, w)
		o := 0.02
		if h >= 8 && h < 18 {
			o = 1
		}
		c.officeCDF = appendCDF(c.officeCDF, o)
	}
	return c
}

func timeOf(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// localHour is the hour of the day at t in a zone tz hours from UTC.
func localHour(t int64, tz float64) float64 {
	h := math.Mod(float64(t)/float64(hour)+tz, 24)
	if h < 0 {
		h += 24
	}
	return h
}

// localMidnight is the start of the local day that contains t.
func localMidnight(t int64, tz float64) int64 {
	off := int64(tz * float64(hour))
	return (t+off)/day*day - off
}

// awake reports, with the probability of the diurnal curve, whether someone
// in tz would be doing something at t.
func awake(r *rand.Rand, t int64, tz float64) bool {
	return r.Float64()*1.25 < diurnal[int(localHour(t, tz))]
}

// inDay places a moment in local day d (from the opening day) of tz, at an
// hour drawn from cdf.
func (c *clock) inDay(r *rand.Rand, d int, tz float64, cdf []float64) int64 {
	h := pick(r, cdf)
	mid := localMidnight(c.start+int64(d)*day+12*hour, tz)
	return mid + int64(h)*hour + r.Int64N(hour)
}

// organic is when someone who heard of the vote on their own comes to
// vote: a day as busy as the month's profile, an hour as busy as the day.
func (c *clock) organic(r *rand.Rand, tz float64) int64 {
	for {
		t := c.inDay(r, pick(r, c.dayCDF), tz, c.hourCDF)
		if t >= c.start && t < c.end {
			return t
		}
	}
}

// office is a moment in working hours on a working day between from and
// to.
func (c *clock) office(r *rand.Rand, from, to int64, tz float64) int64 {
	for i := 0; ; i++ {
		t := from + r.Int64N(max(to-from, 1))
		wd := time.UnixMilli(t + int64(tz*float64(hour))).UTC().Weekday()
		h := localHour(t, tz)
		if i > 100 || (h >= 8 && h < 18 && wd != time.Saturday && wd != time.Sunday) {
			return c.clamp(t)
		}
	}
}

// after is when someone who read a message sent at post comes to vote:
// most within hours, some a day or two later, and only while awake and
// before the close.
func (c *clock) after(r *rand.Rand, post int64, tz float64, quick float64) int64 {
	for i := 0; ; i++ {
		var d float64
		if chance(r, quick) {
			d = r.ExpFloat64() * 3 * float64(hour)
		} else {
			d = r.ExpFloat64() * 30 * float64(hour)
		}
		t := max(post, c.start) + int64(d)
		if t >= c.end {
			if i > 50 {
				return c.clamp(post)
			}
			continue
		}
		if i > 50 || awake(r, t, tz) {
			return t
		}
	}
}

// clamp keeps t inside the voting month.
func (c *clock) clamp(t int64) int64 {
	return min(max(t, c.start), c.end-minute)
}

// gap is the pause between two votes of one person in one session: reading
// the next category's nominees and choosing.
func gap(r *rand.Rand) int64 {
	return int64(min(logNormal(r, 14, 0.8), 600) * float64(second))
}
