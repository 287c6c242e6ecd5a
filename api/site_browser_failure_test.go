package api_test

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// failedTB is a test that has failed: its cleanups run when the test that
// holds it calls run, and it keeps what it logs.
type failedTB struct {
	testing.TB
	mu       sync.Mutex
	once     sync.Once
	cleanups []func()
	logs     []string
}

func (f *failedTB) Failed() bool { return true }

func (f *failedTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *failedTB) Log(args ...any) { f.Logf("%s", fmt.Sprintln(args...)) }

func (f *failedTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// run runs the cleanups, the last registered first, as testing does.
func (f *failedTB) run() {
	f.once.Do(func() {
		for i := len(f.cleanups) - 1; i >= 0; i-- {
			f.cleanups[i]()
		}
	})
}

var failureShot = regexp.MustCompile(`screenshot of the failure \(.*, at (\S+)\): (\S+\.png)`)

// TestSite_browserFailureScreenshot: when a browser test fails, the page its
// tab was on is saved as a PNG of the viewport, and the log names the file
// and the page.
func TestSite_browserFailureScreenshot(t *testing.T) {
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
	srv := httptest.NewServer(f.handler)
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	failed := &failedTB{TB: t}
	t.Cleanup(failed.run)
	b := newBrowser(failed, base, "ar", phone)
	b.open("/ar/demo/c/C1")
	failed.run()

	var m []string
	for _, l := range failed.logs {
		if m = failureShot.FindStringSubmatch(l); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("the log of a failed browser test names no screenshot: %q", failed.logs)
	}
	t.Cleanup(func() { os.Remove(m[2]) })
	if m[1] != base+"/ar/demo/c/C1" {
		t.Errorf("the log names the page %q, want %q", m[1], base+"/ar/demo/c/C1")
	}
	if !strings.Contains(m[2], t.Name()) {
		t.Errorf("screenshot %s is not named after its test", m[2])
	}
	buf, err := os.ReadFile(m[2])
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s: %v", m[2], err)
	}
	if cfg.Width != int(phone.width) || cfg.Height != int(phone.height) {
		t.Errorf("screenshot is %dx%d, want the phone's viewport, %dx%d", cfg.Width, cfg.Height, phone.width, phone.height)
	}
}
