package testenv

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Mailpit is a private Mailpit process of one test, which the test may stop
// and start again on the same ports with the same mailbox, to show what a
// mail server's restart does. It is found on PATH or in GOPATH/bin, where
// deploy/local/stack.sh installs it.
type Mailpit struct {
	bin, dir   string
	smtp, http int
	cmd        *exec.Cmd
	stopped    bool
	tb         testing.TB
}

// StartMailpit starts a private Mailpit on free loopback ports, stopped
// when the test ends. The test is skipped without the test stack, and
// fails when the stack is there but no mailpit binary is.
func StartMailpit(tb testing.TB) *Mailpit {
	tb.Helper()
	Env(tb, "PRIZES_TEST_SMTP_ADDR")
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(string(trimNL(gopath)), "bin", "mailpit")
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("no mailpit binary on PATH or in GOPATH/bin (deploy/local/stack.sh installs it)")
		}
	}
	m := &Mailpit{bin: bin, dir: tb.TempDir(), smtp: freePort(tb), http: freePort(tb), tb: tb}
	m.Start()
	tb.Cleanup(m.Stop)
	return m
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// SMTPAddr is the host:port Mailpit takes mail on.
func (m *Mailpit) SMTPAddr() string { return "127.0.0.1:" + strconv.Itoa(m.smtp) }

// URL is the address of Mailpit's web API.
func (m *Mailpit) URL() string { return "http://127.0.0.1:" + strconv.Itoa(m.http) }

// Start starts Mailpit (again) and waits up to 10 seconds for its API.
func (m *Mailpit) Start() {
	m.tb.Helper()
	m.cmd = exec.Command(m.bin, "--smtp", m.SMTPAddr(), "--listen", "127.0.0.1:"+strconv.Itoa(m.http),
		"--database", filepath.Join(m.dir, "mailpit.db"), "--max", "10000", "--quiet")
	if err := m.cmd.Start(); err != nil {
		m.tb.Fatalf("start mailpit: %v", err)
	}
	m.stopped = false
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(m.URL() + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", m.SMTPAddr()); err == nil {
				c.Close()
				return
			}
		}
		if time.Now().After(deadline) {
			m.tb.Fatalf("mailpit did not start within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills Mailpit and waits for it to exit; stopping it twice is
// harmless.
func (m *Mailpit) Stop() {
	if m.stopped || m.cmd == nil {
		return
	}
	m.stopped = true
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
}

// Messages returns every message Mailpit holds, newest first, each read in
// full.
func (m *Mailpit) Messages() []Mail {
	m.tb.Helper()
	var list struct {
		Messages []mailpitMessage `json:"messages"`
	}
	if err := getJSON(m.URL()+"/api/v1/messages?limit=10000", &list); err != nil {
		m.tb.Fatalf("list mailpit messages: %v", err)
	}
	out := make([]Mail, 0, len(list.Messages))
	for _, s := range list.Messages {
		var full mailpitMessage
		if err := getJSON(m.URL()+"/api/v1/message/"+url.PathEscape(s.ID), &full); err != nil {
			m.tb.Fatalf("read mailpit message: %v", err)
		}
		out = append(out, full.mail())
	}
	return out
}

// String names the instance in test logs.
func (m *Mailpit) String() string {
	return fmt.Sprintf("mailpit smtp %s api %s", m.SMTPAddr(), m.URL())
}
