package report_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wsisvote/prizes/loadtest/report"
)

func TestSplice(t *testing.T) {
	const begin, end = "<!-- x:begin -->", "<!-- x:end -->"
	for _, tc := range []struct {
		name, page, section, want string
	}{
		{"empty page", "", "figures\n", begin + "\nfigures\n" + end + "\n"},
		{"page without markers", "# Title\n\nProse.\n\n\n", "figures\n",
			"# Title\n\nProse.\n\n" + begin + "\nfigures\n" + end + "\n"},
		{"section without a final newline", "# Title\n", "figures",
			"# Title\n\n" + begin + "\nfigures\n" + end + "\n"},
		{"markers kept, prose around them kept", "# Title\n\n" + begin + "\nold\n" + end + "\n\n## Mine\n", "new\n\n",
			"# Title\n\n" + begin + "\nnew\n\n" + end + "\n\n## Mine\n"},
		{"other markers left alone", "<!-- y:begin -->\ny\n<!-- y:end -->\n" + begin + "\nold\n" + end + "\n", "new\n",
			"<!-- y:begin -->\ny\n<!-- y:end -->\n" + begin + "\nnew\n" + end + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := report.Splice(tc.page, begin, end, tc.section)
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
			if again := report.Splice(got, begin, end, tc.section); again != got {
				t.Errorf("a second splice changed the page:\n%q\nwant\n%q", again, got)
			}
		})
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {int64(-4200), "-4,200"}, {int32(12), "12"},
		{1234.5, "1,235"}, {1299.5, "1,300"}, {0.4, "0"},
	} {
		got, err := report.Num(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Num(%v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := report.Num("12"); err == nil {
		t.Error("Num of a string gave no error")
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(time.Duration) string
		in   time.Duration
		want string
	}{
		{"Duration", report.Duration, 1234567 * time.Microsecond, "1.235s"},
		{"Duration", report.Duration, 12345 * time.Millisecond, "12.3s"},
		{"Duration3", report.Duration3, 1234567 * time.Microsecond, "1.23s"},
		{"Duration3", report.Duration3, 12345 * time.Microsecond, "12.3ms"},
		{"Seconds", report.Seconds, 2345 * time.Millisecond, "2.3 s"},
		{"Span", report.Span, 60 * 24 * time.Hour, "60.0 days"},
		{"Span", report.Span, 3 * time.Hour, "3.0 hours"},
		{"Span", report.Span, 150 * time.Second, "2 minutes"},
		{"Span", report.Span, 1500 * time.Millisecond, "2s"},
	} {
		if got := tc.f(tc.in); got != tc.want {
			t.Errorf("%s(%v) = %q; want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestRender(t *testing.T) {
	fsys := fstest.MapFS{
		"page.md.tmpl": {Data: []byte(`{{define "row"}}| {{.Name}} | {{num .Votes}} | {{mark .OK}} |{{end -}}
| name | votes | ok |
{{- range .}}
{{template "row" .}}
{{- end}}
`)},
		"broken.md.tmpl": {Data: []byte(`{{num .Name}}`)},
	}
	type row struct {
		Name  string
		Votes int64
		OK    bool
	}
	got, err := report.Render(fsys, "page.md.tmpl", []row{{"a", 12345, true}, {"b", 0, false}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "| name | votes | ok |\n| a | 12,345 | ✅ |\n| b | 0 | ❌ |\n"; got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if _, err := report.Render(fsys, "broken.md.tmpl", row{Name: "x"}); err == nil || !strings.Contains(err.Error(), "broken.md.tmpl") {
		t.Errorf("error %v; want one naming the template", err)
	}
}
