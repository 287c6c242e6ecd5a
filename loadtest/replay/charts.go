package replay

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/wsisvote/prizes/loadtest/report"
)

// series is one line of a chart: a value for each sample of the timeline.
type series struct {
	name string
	y    func(Sample) float64
}

// writeCharts writes the plots of the ingest as base-throughput.svg and
// base-latency.svg.
func writeCharts(rep *Report, base string) error {
	rate := []series{{"accepted votes/s", func(s Sample) float64 { return s.AcceptedPerS }}}
	for _, s := range rep.Timeline {
		if s.Scheduled > 0 {
			rate = append(rate, series{"scheduled/s", func(s Sample) float64 { return float64(s.Scheduled) / math.Max(s.Seconds, 1e-9) }})
			break
		}
	}
	latency := []series{
		{"p50", func(s Sample) float64 { return s.P50 }},
		{"p90", func(s Sample) float64 { return s.P90 }},
		{"p99", func(s Sample) float64 { return s.P99 }},
	}
	for _, c := range []struct {
		name, title, ylabel string
		lines               []series
		logY                bool
	}{
		{"throughput", rep.Scenario + ": accepted votes per second", "votes/s", rate, false},
		{"latency", rep.Scenario + ": vote latency per second (log scale)", "milliseconds", latency, true},
	} {
		p, err := chart(rep.Timeline, c.title, c.ylabel, c.lines, c.logY)
		if err != nil {
			return fmt.Errorf("plot %s: %w", c.name, err)
		}
		if err := writeSVG(p, base+"-"+c.name+".svg"); err != nil {
			return fmt.Errorf("plot %s: %w", c.name, err)
		}
	}
	return nil
}

// chart draws the lines over the seconds of the timeline. On a log scale
// the Y axis spans whole decades; a sample with no value (no answer in
// that second) leaves a gap in its line.
func chart(timeline []Sample, title, ylabel string, lines []series, logY bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds into the ingest"
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Legend.XOffs = -vg.Points(6)
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Font.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 215}
	grid.Horizontal.Color = color.Gray{Y: 215}
	p.Add(grid)

	lo, hi := math.Inf(1), math.Inf(-1)
	for i, l := range lines {
		style := draw.LineStyle{Color: palette(i), Width: vg.Points(1.5), Dashes: dashes(i)}
		var segments []plotter.XYs
		var cur plotter.XYs
		for _, s := range timeline {
			y := l.y(s)
			if math.IsNaN(y) || math.IsInf(y, 0) || (logY && y <= 0) {
				if len(cur) > 0 {
					segments, cur = append(segments, cur), nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: s.At, Y: y})
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
		if len(cur) > 0 {
			segments = append(segments, cur)
		}
		for j, seg := range segments {
			line, err := plotter.NewLine(seg)
			if err != nil {
				return nil, err
			}
			line.LineStyle = style
			p.Add(line)
			if j == 0 {
				p.Legend.Add(l.name, line)
			}
		}
	}
	switch {
	case math.IsInf(lo, 1):
		// No data: the axes keep a range of their own.
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 1, 10
	case logY:
		// Whole decades, with room above the highest value for the legend.
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi*1.5)))
	default:
		// Room above the lines for the legend.
		p.Y.Min, p.Y.Max = 0, hi*1.25
	}
	p.X.Tick.Marker = plot.TickerFunc(counted)
	p.Y.Tick.Marker = plot.TickerFunc(counted)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.X.Min = math.Min(p.X.Min, 0)
	return p, nil
}

// writeSVG writes p as an SVG document. The text is laid out with the
// metrics of Liberation Sans, which are Arial's; rather than embed the font
// (a few hundred kilobytes in every file), the document names Arial,
// Helvetica and any sans-serif face after it, for viewers without it.
func writeSVG(p *plot.Plot, path string) error {
	c := vgsvg.New(20*vg.Centimeter, 9*vg.Centimeter)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	doc := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	return os.WriteFile(path, doc, 0o644)
}

// palette returns the ith colour of Okabe and Ito's palette, which people
// with any common colour vision deficiency tell apart.
func palette(i int) color.Color {
	okabeIto := []color.RGBA{
		{0x00, 0x72, 0xB2, 0xFF}, // blue
		{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
		{0x00, 0x9E, 0x73, 0xFF}, // bluish green
		{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
		{0xE6, 0x9F, 0x00, 0xFF}, // orange
	}
	return okabeIto[i%len(okabeIto)]
}

// dashes returns the dash pattern of the ith line: solid, dashed, dotted,
// so that lines differ in print too.
func dashes(i int) []vg.Length {
	switch i % 3 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(2), vg.Points(2)}
	}
	return nil
}

// counted places ticks as plot.DefaultTicks does and labels them as the
// reports write numbers: 20000 as 20,000, 25 as 25.
func counted(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		if t.Value == math.Trunc(t.Value) {
			ticks[i].Label = report.Count(int64(t.Value))
		} else {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}
