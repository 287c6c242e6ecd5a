// Package docker_test checks what the image built from the Dockerfile in
// this folder relies on, without an image builder: the build stage's Go is
// the module's, the final stage is a static, unprivileged base, and the
// binaries built with the build stage's own command are static and serve
// the API and the site from an empty folder with nothing but the
// environment the image and an operator give them.
package docker_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
)

// dockerfile is the parts of the Dockerfile the tests read.
type dockerfile struct {
	from  []string          // each stage's base image, in order
	build string            // the build stage's `RUN ... go build` command
	env   map[string]string // the final stage's ENV
	user  string            // the final stage's USER
	cmd   string            // ENTRYPOINT and CMD, as written
}

func readDockerfile(tb testing.TB) dockerfile {
	tb.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	d := dockerfile{env: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "FROM":
			image, _, _ := strings.Cut(rest, " ")
			d.from = append(d.from, image)
			d.env, d.user = map[string]string{}, ""
		case "RUN":
			if strings.Contains(rest, "go build") {
				d.build = rest
			}
		case "ENV":
			k, v, _ := strings.Cut(rest, "=")
			d.env[k] = v
		case "USER":
			d.user = rest
		case "ENTRYPOINT", "CMD":
			d.cmd += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return d
}

// TestDockerfile_stages fails when the build stage's Go is not the one
// go.mod names, or the final stage is not a static base run by an
// unprivileged user.
func TestDockerfile_stages(t *testing.T) {
	d := readDockerfile(t)
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if goVersion == nil {
		t.Fatal("go.mod names no go version")
	}
	if len(d.from) != 2 {
		t.Fatalf("stages %v, want a build stage and a final one", d.from)
	}
	if want := "golang:" + string(goVersion[1]) + "-"; !strings.HasPrefix(d.from[0], want) {
		t.Errorf("build stage %s, want %s... (go.mod's go)", d.from[0], want)
	}
	if !strings.HasPrefix(d.from[1], "gcr.io/distroless/static") || !strings.HasSuffix(d.from[1], ":nonroot") {
		t.Errorf("final stage %s, want distroless static, nonroot", d.from[1])
	}
	if d.user == "" || strings.HasPrefix(d.user, "root") || strings.HasPrefix(d.user, "0") {
		t.Errorf("final stage runs as %q, want an unprivileged user", d.user)
	}
	if !strings.Contains(d.build, "CGO_ENABLED=0") {
		t.Errorf("build %q: not with CGO_ENABLED=0, so the binaries may need a C library the final stage lacks", d.build)
	}
	if !strings.Contains(d.cmd, `ENTRYPOINT ["/usr/local/bin/prizes"]`) || !strings.Contains(d.cmd, `CMD ["serve"]`) {
		t.Errorf("entry point and command:\n%s\nwant prizes serve", d.cmd)
	}
}

// TestDockerfile_binaries builds the binaries with the build stage's own
// command, checks that they are static (no interpreter, no shared library),
// and runs prizes as the final stage does: from an empty folder, with the
// image's environment and an operator's database and Redis only, migrating,
// then serving the API and the site, whose templates and assets must be in
// the binary.
func TestDockerfile_binaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	d := readDockerfile(t)
	out := t.TempDir()
	build := exec.Command("sh", "-c", strings.ReplaceAll(d.build, "/out/", out+"/"))
	build.Dir = "../.."
	build.Env = append(os.Environ(), "GOFLAGS=")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", d.build, err, b)
	}
	for _, name := range []string{"prizes", "prizes-loadtest"} {
		assertStatic(t, filepath.Join(out, name))
	}

	env := []string{"PRIZES_DATABASE_URL=" + testenv.EmptyDatabaseURL(t), "PRIZES_REDIS_URL=" + testenv.RedisURL(t),
		"PRIZES_REDIS_PREFIX=" + testenv.ID(t)}
	for k, v := range d.env {
		env = append(env, k+"="+v)
	}
	run := func(args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(out, "prizes"), args...)
		cmd.Dir, cmd.Env = t.TempDir(), env
		return cmd
	}
	if b, err := run("migrate").CombinedOutput(); err != nil {
		t.Fatalf("prizes migrate: %v\n%s", err, b)
	}
	if b, err := run("seed", "--demo", "--phases=false").CombinedOutput(); err != nil {
		t.Fatalf("prizes seed: %v\n%s", err, b)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	serve := run("serve")
	serve.Env = append(serve.Env, "PRIZES_HTTP_ADDR="+addr)
	var logs bytes.Buffer
	serve.Stdout, serve.Stderr = io.Discard, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Kill()
		serve.Wait()
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prizes serve did not become ready\n%s", logs.String())
		}
	}
	page := get(t, base+"/en/demo", "text/html")
	css := regexp.MustCompile(`href="(/static/site\.[0-9a-f]+\.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("the demo edition's page links no stylesheet:\n%.2000s", page)
	}
	get(t, base+css[1], "text/css")
	get(t, base+"/api/v1/editions/demo/projects", "application/json")
}

// get fetches url and fails unless it answers 200 with the content type.
func get(t *testing.T, url, contentType string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), contentType) {
		t.Fatalf("GET %s: %d %s, want 200 %s\n%.1000s", url, resp.StatusCode, resp.Header.Get("Content-Type"), contentType, body)
	}
	return string(body)
}

// assertStatic fails unless the executable at path asks for no dynamic
// loader and no shared library, so that it runs on a base with no C library.
func assertStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s: has a %v program header: not a static executable", filepath.Base(path), p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s: needs shared libraries %v (%v)", filepath.Base(path), libs, err)
	}
}
