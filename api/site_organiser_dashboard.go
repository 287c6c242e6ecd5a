package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

// The live dashboard: an edition's votes per minute by outcome and the
// flush lag over the last hour, added up over every API node and flusher,
// drawn as SVG on the server so the page needs no script; the script only
// fetches the page again every dashboardRefresh seconds and swaps the
// figures in.

// dashboardRefresh is how often, in seconds, the page refreshes its
// figures; the nodes save theirs every five seconds.
const dashboardRefresh = 10

// The plot area of a chart, in the SVG's user units.
const (
	chartWidth  = 720
	chartHeight = 220
	chartLeft   = 64
	chartRight  = 8
	chartTop    = 12
	chartBottom = 28
)

// chartSeg is one part of a stacked bar: a series' share of a minute.
type chartSeg struct {
	Y, H  float64
	Class string
}

// chartBar is one minute of a chart.
type chartBar struct {
	X, W float64
	Segs []chartSeg
	// Title is what a pointer over the bar shows.
	Title string
}

// chartTick is a label under the time axis.
type chartTick struct {
	X     float64
	Label string
	// Anchor is the label's text-anchor: the last one ends at its minute,
	// so it stays inside the chart.
	Anchor string
}

// chart is a bar chart of the last hour, ready for the template.
type chart struct {
	// ID is the id of the element that names the chart.
	ID                                      string
	Width, Height, Left, Top, Bottom, Right float64
	// PlotH is the plot area's height, LabelX where the scale's labels end
	// and TickY the baseline of the time labels.
	PlotH, LabelX, TickY float64
	// Max is the value at the top of the scale, MaxLabel its label, and
	// MidY and MidLabel the gridline halfway.
	MaxLabel, MidLabel, ZeroLabel string
	MidY                          float64
	Bars                          []chartBar
	Ticks                         []chartTick
	// Line is the points of a line over the bars ("x,y x,y ..."), if any.
	Line string
}

// series is one stacked part of a bar: its class and value per minute.
type series struct {
	class string
	value func(voting.ActivitySample) float64
}

// niceMax rounds a scale's top up to 1, 2 or 5 times a power of ten, so
// gridlines fall on round numbers; at least 1.
func niceMax(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// newChart lays out the minutes as bars stacking the series, and the line
// of value line when it is set; label formats a value of the scale and
// title a minute's bar.
func newChart(id string, minutes []voting.ActivitySample, stack []series, line func(voting.ActivitySample) float64,
	label func(float64) string, title func(voting.ActivitySample) string, tick func(time.Time) string) chart {
	c := chart{ID: id, Width: chartWidth, Height: chartHeight, Left: chartLeft, Top: chartTop,
		Bottom: chartHeight - chartBottom, Right: chartWidth - chartRight, LabelX: chartLeft - 6, TickY: chartHeight - 8}
	top := 0.0
	for _, m := range minutes {
		sum := 0.0
		for _, s := range stack {
			sum += s.value(m)
		}
		top = max(top, sum)
		if line != nil {
			top = max(top, line(m))
		}
	}
	top = niceMax(top)
	c.MaxLabel, c.MidLabel, c.ZeroLabel = label(top), label(top/2), label(0)
	plotH := c.Bottom - c.Top
	c.PlotH = plotH
	c.MidY = c.Top + plotH/2
	step := (c.Right - c.Left) / float64(len(minutes))
	y := func(v float64) float64 { return c.Bottom - v/top*plotH }
	for i, m := range minutes {
		b := chartBar{X: c.Left + float64(i)*step + step*0.1, W: step * 0.8, Title: title(m)}
		base := 0.0
		for _, s := range stack {
			v := s.value(m)
			if v <= 0 {
				continue
			}
			b.Segs = append(b.Segs, chartSeg{Y: y(base + v), H: y(base) - y(base+v), Class: s.class})
			base += v
		}
		c.Bars = append(c.Bars, b)
		if line != nil {
			c.Line += fmt.Sprintf("%.1f,%.1f ", c.Left+float64(i)*step+step/2, y(line(m)))
		}
		if (len(minutes)-1-i)%15 == 0 {
			t := chartTick{X: c.Left + float64(i)*step + step/2, Label: tick(m.Minute), Anchor: "middle"}
			if i == len(minutes)-1 {
				t.X, t.Anchor = c.Right, "end"
			}
			c.Ticks = append(c.Ticks, t)
		}
	}
	return c
}

// dashboardView is the dashboard page's data.
type dashboardView struct {
	Edition   any
	Votes     chart
	Lag       chart
	Totals    voting.ActivityCounts
	PerMinute int64
	// Lagged is the last minute with flushed votes, if any.
	Lagged    voting.ActivitySample
	HasLag    bool
	Minutes   []voting.ActivitySample
	UpdatedAt time.Time
	Refresh   int
}

// organiseDashboard is GET /{lang}/{edition}/organise/dashboard.
func (st *site) organiseDashboard(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	now := st.now()
	d, err := loadDashboard(c.Request.Context(), st.prizes.Activity, ed.ID, now)
	if err != nil {
		st.problem(c, err)
		return
	}
	p := st.organisePage(c, ed, "dashboard", "org.dashboard.title")
	ms := func(v float64) string { return p.T("org.dashboard.ms", "Value", p.Number(int(v))) }
	votes := newChart("votes-title", d.Minutes, []series{
		{"bar-counted", func(m voting.ActivitySample) float64 { return float64(m.Counted()) }},
		{"bar-flagged", func(m voting.ActivitySample) float64 { return float64(m.Flagged + m.Rejected) }},
		{"bar-duplicate", func(m voting.ActivitySample) float64 { return float64(m.Duplicate) }},
		{"bar-refused", func(m voting.ActivitySample) float64 { return float64(m.Refused) }},
	}, nil, func(v float64) string { return p.Number(int(v)) }, func(m voting.ActivitySample) string {
		return p.T("org.dashboard.minute.votes", "Time", p.Clock(m.Minute), "Accepted", p.Number64(m.Accepted),
			"Flagged", p.Number64(m.Flagged+m.Rejected), "Duplicate", p.Number64(m.Duplicate), "Refused", p.Number64(m.Refused))
	}, p.Clock)
	lag := newChart("lag-title", d.Minutes, []series{
		{"bar-lag", func(m voting.ActivitySample) float64 { return millis(m.LagMax) }},
	}, func(m voting.ActivitySample) float64 { return millis(m.LagMean()) }, func(v float64) string { return p.Number(int(v)) }, func(m voting.ActivitySample) string {
		return p.T("org.dashboard.minute.lag", "Time", p.Clock(m.Minute), "Mean", ms(millis(m.LagMean())), "Max", ms(millis(m.LagMax)))
	}, p.Clock)
	view := dashboardView{Edition: ed, Votes: votes, Lag: lag, Totals: d.Totals, UpdatedAt: now, Refresh: dashboardRefresh}
	if n := len(d.Minutes); n >= 2 {
		view.PerMinute = d.Minutes[n-2].Votes()
	}
	for i := len(d.Minutes) - 1; i >= 0; i-- {
		m := d.Minutes[i]
		if m.Flushed > 0 && !view.HasLag {
			view.Lagged, view.HasLag = m, true
		}
		if m.Votes() > 0 || m.Flushed > 0 {
			view.Minutes = append(view.Minutes, m)
		}
	}
	p.Data = view
	c.Header("Cache-Control", "no-store")
	st.render(c, http.StatusOK, "org-dashboard", p)
}

// Millis formats a duration in whole milliseconds in the reader's language.
func (p *page) Millis(d time.Duration) string {
	return p.T("org.dashboard.ms", "Value", p.Number(int(millis(d))))
}
