package stack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ParseMetrics reads a Prometheus text exposition into its metric families,
// by name.
func ParseMetrics(text []byte) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return fams, nil
}

// SumMetric returns the sum of every sample of the counter, gauge or
// untyped metric name in a Prometheus text exposition, over all its label
// sets, and whether there was any. A text that does not parse has none.
func SumMetric(text []byte, name string) (float64, bool) {
	fams, err := ParseMetrics(text)
	if err != nil {
		return 0, false
	}
	fam, ok := fams[name]
	if !ok || len(fam.GetMetric()) == 0 {
		return 0, false
	}
	var sum float64
	for _, m := range fam.GetMetric() {
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		default:
			return 0, false
		}
	}
	return sum, true
}

// Scrape fetches the metrics page at url, within ten seconds.
func Scrape(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	return body, nil
}

// ScrapeSum reads the metrics at url and returns SumMetric of name; a
// metric the page does not have is an error.
func ScrapeSum(ctx context.Context, url, name string) (float64, error) {
	body, err := Scrape(ctx, url)
	if err != nil {
		return 0, err
	}
	v, ok := SumMetric(body, name)
	if !ok {
		return 0, fmt.Errorf("scrape %s: no %s", url, name)
	}
	return v, nil
}
