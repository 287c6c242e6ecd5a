package plot_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/loadtest/plot"
)

// svgDoc is the part of the document the tests look at.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Groups  []struct {
		Class    string `xml:"class,attr"`
		Name     string `xml:"data-name,attr"`
		Polyline struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
		Text string `xml:"text"`
	} `xml:"g"`
	Texts []string `xml:"text"`
}

func render(t testing.TB, c plot.Chart) svgDoc {
	t.Helper()
	var buf bytes.Buffer
	if err := plot.WriteSVG(&buf, c); err != nil {
		t.Fatal(err)
	}
	// Every token must parse: the document is well-formed XML.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
		}
	}
	var doc svgDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestWriteSVG(t *testing.T) {
	var p50, p99 []plot.Point
	for i := 0; i < 60; i++ {
		p50 = append(p50, plot.Point{X: float64(i), Y: 2 + math.Sin(float64(i))})
		p99 = append(p99, plot.Point{X: float64(i), Y: 20 + float64(i)})
	}
	doc := render(t, plot.Chart{
		Title: "Latency <over> time & more", XLabel: "seconds", YLabel: "ms", LogY: true,
		Series: []plot.Series{{Name: "p50", Points: p50}, {Name: "p99", Points: p99}},
	})
	if len(doc.Groups) != 2 || doc.Groups[0].Name != "p50" || doc.Groups[1].Name != "p99" {
		t.Fatalf("series %+v; want p50 and p99", doc.Groups)
	}
	for _, g := range doc.Groups {
		if n := len(strings.Fields(g.Polyline.Points)); n != 60 {
			t.Fatalf("series %s has %d points; want 60", g.Name, n)
		}
		if g.Text != g.Name {
			t.Fatalf("legend of %s reads %q", g.Name, g.Text)
		}
	}
	if doc.Texts[0] != "Latency <over> time & more" {
		t.Fatalf("title %q", doc.Texts[0])
	}
}

func TestWriteSVG_degenerate(t *testing.T) {
	cases := map[string][]plot.Series{
		"no series":    nil,
		"empty series": {{Name: "empty"}},
		"one point":    {{Name: "one", Points: []plot.Point{{X: 3, Y: 0}}}},
		"flat":         {{Name: "flat", Points: []plot.Point{{X: 0, Y: 5}, {X: 1, Y: 5}}}},
		"not a number": {{Name: "nan", Points: []plot.Point{{X: 0, Y: math.NaN()}, {X: 1, Y: 2}}}},
	}
	for name, series := range cases {
		t.Run(name, func(t *testing.T) {
			for _, logY := range []bool{false, true} {
				doc := render(t, plot.Chart{Title: name, Series: series, LogY: logY})
				if len(doc.Groups) != len(series) {
					t.Fatalf("%d series drawn; want %d", len(doc.Groups), len(series))
				}
				for _, g := range doc.Groups {
					if strings.Contains(g.Polyline.Points, "NaN") || strings.Contains(g.Polyline.Points, "Inf") {
						t.Fatalf("points %q are not finite", g.Polyline.Points)
					}
				}
			}
		})
	}
}
