// Package report renders the load tests' reports as Markdown: each
// package keeps its page as a text/template beside its report code, and
// every template formats numbers, durations and verdicts with the same
// functions, defined here once. Splice puts a generated section into a
// page written by hand.
package report

import (
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/wsisvote/prizes/loadtest"
)

// Render parses the templates of fsys, the files named *.md.tmpl, with
// Funcs, and returns the output of the one called name for data.
func Render(fsys fs.FS, name string, data any) (string, error) {
	t, err := template.New(name).Funcs(Funcs()).ParseFS(fsys, "*.md.tmpl")
	if err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

// Funcs returns the functions the report templates format with.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"num":            Num,
		"lat":            loadtest.FormatDuration,
		"latSeconds":     LatencySeconds,
		"dur":            Duration,
		"dur3":           Duration3,
		"seconds":        Seconds,
		"round":          Round,
		"span":           Span,
		"mib":            MiB,
		"kib":            KiB,
		"pct":            Percent,
		"mul":            func(a, b float64) float64 { return a * b },
		"mark":           Mark,
		"yesNo":          YesNo,
		"orDash":         OrDash,
		"boldUnlessZero": BoldUnlessZero,
		"oneLine":        OneLine,
		"inc":            func(i int) int { return i + 1 },
		"join":           strings.Join,
	}
}

// Num writes a count or a rate rounded to a whole number, in English, with
// commas between groups of three digits. It takes any integer or float.
func Num(v any) (string, error) {
	switch n := v.(type) {
	case int:
		return Count(int64(n)), nil
	case int32:
		return Count(int64(n)), nil
	case int64:
		return Count(n), nil
	case float64:
		return Count(int64(math.Round(n))), nil
	}
	return "", fmt.Errorf("num: %T is not a number", v)
}

// Count writes n in English, with commas between groups of three digits.
func Count(n int64) string {
	return message.NewPrinter(language.English).Sprintf("%d", n)
}

// LatencySeconds writes seconds, as a Prometheus histogram holds them, as
// loadtest.FormatDuration writes latencies.
func LatencySeconds(s float64) string {
	return loadtest.FormatDuration(time.Duration(s * float64(time.Second)))
}

// Duration writes a wall time to the millisecond, or to a tenth of a
// second from ten seconds up.
func Duration(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// Duration3 writes a wall time to three significant figures or so.
func Duration3(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
}

// Seconds writes d in seconds to a tenth: "2.3 s".
func Seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// Round writes d rounded to a multiple of unit, such as "1ms" or "1s".
func Round(d time.Duration, unit string) (string, error) {
	u, err := time.ParseDuration(unit)
	if err != nil {
		return "", fmt.Errorf("round: %w", err)
	}
	return d.Round(u).String(), nil
}

// Span writes a long span in the largest unit that keeps it readable:
// days, hours, minutes, or seconds below two minutes.
func Span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= 2*time.Hour:
		return fmt.Sprintf("%.1f hours", d.Hours())
	case d >= 2*time.Minute:
		return fmt.Sprintf("%.0f minutes", d.Minutes())
	}
	return d.Round(time.Second).String()
}

// MiB writes bytes as mebibytes to a tenth.
func MiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// KiB writes bytes as kibibytes to a tenth.
func KiB(b int64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }

// Percent writes a share as a percentage to two decimals: 0.0123 as
// "1.23%".
func Percent(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

// Mark shows whether a target was met.
func Mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

// YesNo answers a check, in bold when it failed.
func YesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// OrDash writes s, or a dash for a figure that was not read.
func OrDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// BoldUnlessZero writes a count that must be zero, in bold when it is not.
func BoldUnlessZero(n int64) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("**%d**", n)
}

// OneLine keeps text, which may carry a log's tail, on one line of a
// Markdown list.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Share writes v as a whole percentage of total, or a dash when the total
// is not positive.
func Share(v, total float64) string {
	if total <= 0 || math.IsNaN(total) {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*v/total)
}

// Maybe writes x to three decimals, or "n/a" when it is not defined.
func Maybe(x float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

// Tally lists counts by name, most frequent first ("202 ×3990, 409
// duplicate_vote ×12"), or "none".
func Tally(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// WriteFile writes a rendered page to path, making its folder.
func WriteFile(path, page string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(page), 0o644)
}
