// Package plot draws line charts as SVG by hand: a few time series on
// shared axes, with a legend. It is enough for throughput and latency over
// the course of a run, needs no dependency, and its output is plain text a
// browser, a Markdown viewer and a diff all show.
package plot

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

// Point is one sample.
type Point struct{ X, Y float64 }

// Series is one line.
type Series struct {
	Name   string
	Points []Point
}

// Chart is a line chart.
type Chart struct {
	Title  string
	XLabel string
	YLabel string
	Series []Series
	// Width and Height are the size of the image in pixels (800 by 360
	// when zero).
	Width, Height int
	// LogY draws the Y axis on a logarithmic scale, for latencies whose
	// tail is orders of magnitude above their median.
	LogY bool
}

// palette is colour-blind safe (Okabe and Ito).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

const (
	marginLeft   = 70
	marginRight  = 20
	marginTop    = 40
	marginBottom = 50
)

// WriteSVG writes c as a standalone SVG document.
func WriteSVG(w io.Writer, c Chart) error {
	if c.Width <= 0 {
		c.Width = 800
	}
	if c.Height <= 0 {
		c.Height = 360
	}
	xmin, xmax, ymin, ymax := bounds(c)
	if c.LogY {
		ymin = math.Pow(10, math.Floor(math.Log10(ymin)))
		ymax = math.Pow(10, math.Ceil(math.Log10(ymax)))
	} else {
		ymin = 0
		ymax = niceCeil(ymax)
	}
	pw := float64(c.Width - marginLeft - marginRight)
	ph := float64(c.Height - marginTop - marginBottom)
	px := func(x float64) float64 { return marginLeft + (x-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 {
		if c.LogY {
			y = math.Max(y, ymin)
			return marginTop + ph - (math.Log10(y)-math.Log10(ymin))/(math.Log10(ymax)-math.Log10(ymin))*ph
		}
		return marginTop + ph - (y-ymin)/(ymax-ymin)*ph
	}

	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		c.Width, c.Height, c.Width, c.Height)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", marginLeft, esc(c.Title))

	// Grid and Y ticks.
	for _, t := range yTicks(ymin, ymax, c.LogY) {
		y := py(t)
		p(`<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", marginLeft, y, marginLeft+pw, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", marginLeft-6, y, label(t))
	}
	for _, t := range linearTicks(xmin, xmax, 10) {
		x := px(t)
		p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`+"\n", x, marginTop+ph, x, marginTop+ph+4)
		p(`<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, marginTop+ph+18, label(t))
	}
	p(`<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", marginLeft, marginTop, pw, ph)
	p(`<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", marginLeft+pw/2, c.Height-10, esc(c.XLabel))
	p(`<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", marginTop+ph/2, esc(c.YLabel))

	for i, s := range c.Series {
		colour := palette[i%len(palette)]
		p(`<g class="series" data-name="%s">`+"\n", esc(s.Name))
		p(`<polyline fill="none" stroke="%s" stroke-width="1.6" points="`, colour)
		sep := ""
		for _, pt := range s.Points {
			// A missing sample (no answer in that second) leaves a gap in
			// the data rather than a point at an arbitrary place.
			if math.IsNaN(pt.Y) || math.IsInf(pt.Y, 0) || math.IsNaN(pt.X) || math.IsInf(pt.X, 0) {
				continue
			}
			p("%s%.1f,%.1f", sep, px(pt.X), py(pt.Y))
			sep = " "
		}
		p(`"/>` + "\n")
		// The legend sits in the top right corner, one line per series.
		ly := marginTop + 14 + 16*i
		lx := float64(c.Width-marginRight) - 150
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", lx, ly, lx+20, ly, colour)
		p(`<text x="%.1f" y="%d" dominant-baseline="middle">%s</text>`+"\n", lx+26, ly, esc(s.Name))
		p("</g>\n")
	}
	p("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write svg %q: %w", c.Title, err)
	}
	return nil
}

// bounds returns the range of the data, widened where it is empty or flat
// so that the scales stay finite.
func bounds(c Chart) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range c.Series {
		for _, pt := range s.Points {
			if math.IsNaN(pt.Y) || math.IsInf(pt.Y, 0) || (c.LogY && pt.Y <= 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
			ymin, ymax = math.Min(ymin, pt.Y), math.Max(ymax, pt.Y)
		}
	}
	if math.IsInf(xmin, 1) {
		xmin, xmax, ymin, ymax = 0, 1, 1, 1
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	if ymax <= ymin {
		ymax = ymin + 1
	}
	if c.LogY && ymin <= 0 {
		ymin = 1
	}
	return xmin, xmax, ymin, ymax
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

// linearTicks returns about n round values from lo to hi.
func linearTicks(lo, hi float64, n int) []float64 {
	step := niceCeil((hi - lo) / float64(n))
	var out []float64
	for t := math.Ceil(lo/step) * step; t <= hi+step*1e-9; t += step {
		out = append(out, t)
	}
	return out
}

func yTicks(lo, hi float64, logScale bool) []float64 {
	if !logScale {
		return linearTicks(lo, hi, 5)
	}
	var out []float64
	for t := lo; t <= hi*1.0001; t *= 10 {
		out = append(out, t)
	}
	return out
}

// label formats a tick value briefly: 12000 as 12k, 0.5 as 0.5.
func label(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "k"
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

func esc(s string) string { return html.EscapeString(s) }
