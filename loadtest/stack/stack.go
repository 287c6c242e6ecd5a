// Package stack starts and stops what a load scenario runs against, on
// loopback and for one run only: a dedicated redis-server, a fresh
// PostgreSQL database on a server the caller names, subcommands of the
// prizes binary, and long-running children such as prizes serve; and it
// reads from /proc the CPU time their processes use. It is the plumbing of
// the replay, of the naive comparison and of the bench harness, kept in one
// place so that the three start, stop and measure things the same way and
// their figures stay comparable.
package stack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

// FreePort returns a loopback address whose port is free now. Another
// process could take it before it is used; on a test machine that is rare
// enough to be reported rather than avoided.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// ChildEnv returns base without any PRIZES_ variable, then extra, so that a
// child gets exactly the configuration chosen for it whatever the shell had
// set.
func ChildEnv(base []string, extra ...string) []string {
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		if !strings.HasPrefix(kv, "PRIZES_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// Prizes runs subcommands of the prizes binary with a fixed environment.
type Prizes struct {
	Bin string
	Env []string
}

// Run runs one subcommand to completion and returns its standard output and
// error. A failure's error carries the end of its standard error.
func (p *Prizes) Run(ctx context.Context, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, p.Bin, args...)
	cmd.Env = p.Env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), errb.Bytes(), fmt.Errorf("prizes %s: %w: %s", strings.Join(args, " "), err, Tail(errb.Bytes(), 2000))
	}
	return out.Bytes(), errb.Bytes(), nil
}

// Process is a long-running child, such as a server, started and stopped
// by the caller.
type Process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
	once sync.Once
}

// Start starts bin with args, its output appended to logPath, so that a
// child started again after a crash writes to the same file.
func Start(name, logPath string, env []string, bin string, args ...string) (*Process, error) {
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return start(name, f, cmd)
}

// start starts cmd with its output going to f, which Stop closes.
func start(name string, f *os.File, cmd *exec.Cmd) (*Process, error) {
	cmd.Stdout, cmd.Stderr = f, f
	// A process group of its own keeps a Ctrl-C at the terminal from
	// reaching the child before the caller stops it in order.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name returns the name the child was started under.
func (p *Process) Name() string { return p.name }

// PID returns the child's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the child has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and kills the child if it has not ended after grace.
// It returns the child's exit error; an exit on SIGTERM counts as clean.
func (p *Process) Stop(grace time.Duration) error {
	return p.StopWith(syscall.SIGTERM, grace)
}

// Kill ends the child with SIGKILL, as a crash would: it has no chance to
// finish or hand over anything. It returns once the child has ended.
func (p *Process) Kill() {
	_ = p.StopWith(syscall.SIGKILL, 0)
}

// StopWith sends sig and kills the child if it has not ended after grace:
// servers that give signals different meanings, such as PostgreSQL's fast
// (SIGINT) and immediate (SIGQUIT) shutdowns, are stopped with the one
// chosen. It returns the child's exit error; an exit on sig counts as
// clean.
func (p *Process) StopWith(sig syscall.Signal, grace time.Duration) error {
	p.once.Do(func() {
		if !p.Exited() {
			_ = p.cmd.Process.Signal(sig)
			select {
			case <-p.done:
			case <-time.After(grace):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		p.log.Close()
	})
	if p.err != nil {
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
				return nil
			}
		}
		return fmt.Errorf("%s: %w", p.name, p.err)
	}
	return nil
}

// LogTail returns the end of the child's output, for error messages.
func (p *Process) LogTail() string {
	b, err := os.ReadFile(p.log.Name())
	if err != nil {
		return ""
	}
	return Tail(b, 2000)
}

// WaitHTTP polls url until it answers 200, the child exits or timeout
// passes.
func (p *Process) WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", p.name, err)
		}
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("wait for %s: it exited: %v: %s", p.name, p.err, p.LogTail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %s at %s: not ready after %s: %s", p.name, url, timeout, p.LogTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", p.name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Tail returns the last n bytes of b, trimmed.
func Tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Redis is a redis-server started for one run, so that nothing else shares
// its memory or its CPU, or, when no redis-server binary is at hand, a
// server the caller connected to and shares with others.
type Redis struct {
	// proc is nil for a server the caller connected to.
	proc *Process
	// bin, dir and args start the server again after Kill.
	bin    string
	dir    string
	args   []string
	addr   string
	Client *goredis.Client
}

// StartRedis starts bin on a free loopback port without persistence, with
// its files in dir.
func StartRedis(ctx context.Context, bin, dir string) (*Redis, error) {
	return startRedis(ctx, bin, dir)
}

// StartDurableRedis starts bin as StartRedis does, but with every write in
// its append-only file, flushed to disk before the write is answered
// (appendfsync always): what a deployment needs for an answered vote to
// survive the server being killed, and what Restart reads back.
func StartDurableRedis(ctx context.Context, bin, dir string) (*Redis, error) {
	return startRedis(ctx, bin, dir, "--appendonly", "yes", "--appendfsync", "always")
}

// startRedis starts bin as StartRedis does, with extra arguments after its
// own.
func startRedis(ctx context.Context, bin, dir string, extra ...string) (*Redis, error) {
	addr, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start redis: %w", err)
	}
	_, port, _ := strings.Cut(addr, ":")
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("start redis: %w", err)
	}
	// The pid file lets whoever made the folder stop the server even if this
	// process is killed first (deploy/local/stack.sh does, for tests).
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "no", "--dir", dir,
		"--pidfile", filepath.Join(dir, "redis.pid")}, extra...)
	r := &Redis{bin: bin, dir: dir, args: args, addr: addr, Client: goredis.NewClient(&goredis.Options{Addr: addr})}
	if err := r.start(ctx); err != nil {
		r.Client.Close()
		return nil, err
	}
	return r, nil
}

// start starts the server process and waits until it answers PING, which
// it does only once it has loaded its files.
func (r *Redis) start(ctx context.Context) error {
	p, err := Start("redis-server", filepath.Join(r.dir, "redis.log"), nil, r.bin, r.args...)
	if err != nil {
		return fmt.Errorf("start redis: %w", err)
	}
	r.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := r.Client.Ping(ctx).Err(); err == nil {
			return nil
		}
		if p.Exited() || time.Now().After(deadline) || ctx.Err() != nil {
			_ = p.Stop(5 * time.Second)
			return fmt.Errorf("start redis on %s: not answering: %s", r.addr, p.LogTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL, as a crash would: what it had not
// written to its files is lost.
func (r *Redis) Kill() {
	if r.proc != nil {
		r.proc.Kill()
	}
}

// Restart starts the server again after Kill, on the same port and with
// the same files, and returns once it has loaded them and answers.
func (r *Redis) Restart(ctx context.Context) error {
	if r.proc == nil {
		return fmt.Errorf("restart redis on %s: it was not started here", r.addr)
	}
	if !r.proc.Exited() {
		return fmt.Errorf("restart redis on %s: it is still running", r.addr)
	}
	return r.start(ctx)
}

// ConnectRedis connects to the Redis at url, which the caller did not
// start and Stop leaves running. Others may be using it, so what it holds
// and how much memory it uses are not the run's alone.
func ConnectRedis(url string) (*Redis, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("shared redis: %w", err)
	}
	return &Redis{addr: o.Addr, Client: goredis.NewClient(o)}, nil
}

// Dedicated reports whether StartRedis started the server for this run.
func (r *Redis) Dedicated() bool { return r.proc != nil }

// Addr returns the server's host:port.
func (r *Redis) Addr() string { return r.addr }

// URL returns the redis:// URL of the server.
func (r *Redis) URL() string { return "redis://" + r.addr + "/0" }

// PID returns the server's process id, or 0 for a server the caller
// connected to, whose process is not this one's child.
func (r *Redis) PID() int {
	if r.proc == nil {
		return 0
	}
	return r.proc.PID()
}

// Info returns the fields of one section of INFO.
func (r *Redis) Info(ctx context.Context, section string) (map[string]string, error) {
	s, err := r.Client.Info(ctx, section).Result()
	if err != nil {
		return nil, fmt.Errorf("redis info %s: %w", section, err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			out[k] = v
		}
	}
	return out, nil
}

// Version returns the server's version, or "" when INFO cannot be read:
// the version only labels a report.
func (r *Redis) Version(ctx context.Context) string {
	m, err := r.Info(ctx, "server")
	if err != nil {
		return ""
	}
	return m["redis_version"]
}

// Stop closes the client and stops the server if StartRedis started it.
func (r *Redis) Stop() {
	r.Client.Close()
	if r.proc != nil {
		_ = r.proc.Stop(5 * time.Second)
	}
}

// Database is a PostgreSQL database created for one run.
type Database struct {
	admin string
	Name  string
	URL   string
}

// CreateDatabase creates a database with a random name starting with
// prefix on the server of adminURL.
func CreateDatabase(ctx context.Context, adminURL, prefix string) (*Database, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	name := prefix + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("create database: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return &Database{admin: adminURL, Name: name, URL: u.String()}, nil
}

// Drop removes the database, disconnecting anyone still connected.
func (d *Database) Drop(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return fmt.Errorf("drop database %s: connect: %w", d.Name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+d.Name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", d.Name, err)
	}
	return nil
}

// Exec runs one statement in the database and returns how many rows it
// changed.
func (d *Database) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return 0, fmt.Errorf("database %s: connect: %w", d.Name, err)
	}
	defer conn.Close(ctx)
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("database %s: %w", d.Name, err)
	}
	return tag.RowsAffected(), nil
}

// Version returns the server's version string.
func (d *Database) Version(ctx context.Context) string {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var v string
	_ = conn.QueryRow(ctx, "SHOW server_version").Scan(&v)
	return v
}

// Machine describes the machine a run measured.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	Kernel    string `json:"kernel"`
	Redis     string `json:"redis"`
	Postgres  string `json:"postgres"`
}
