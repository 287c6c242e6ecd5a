package stack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL server started for one run, in a folder of its
// own, that the caller may stop and start again: what the chaos drill takes
// away from the flusher. Its superuser is postgres, trusted on loopback,
// and it keeps fsync on, as a system of record runs.
type Postgres struct {
	bin     string
	data    string
	sockets string
	port    string
	addr    string
	// cred runs the server as the postgres user when this process is root,
	// since the server refuses to run as root.
	cred *syscall.Credential
	proc *Process
}

// Shutdown is how Stop ends the server.
type Shutdown string

const (
	// Fast rolls back open transactions, disconnects every client and
	// writes a checkpoint (SIGINT).
	Fast Shutdown = "fast"
	// Immediate ends every server process at once without a checkpoint, as
	// a power cut would leave the files; the next start recovers from the
	// write-ahead log (SIGQUIT).
	Immediate Shutdown = "immediate"
)

// PostgresBin returns the folder of the newest installed PostgreSQL's
// server programs (initdb, postgres): Debian keeps them off the PATH, under
// /usr/lib/postgresql/VERSION/bin.
func PostgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("postgresql: no initdb under /usr/lib/postgresql/*/bin or on the PATH")
}

// StartPostgres creates a cluster with the programs in bin under dir and
// starts it on a free loopback port. dir must not exist yet; when this
// process is root, dir's parent must be one the postgres user can enter.
func StartPostgres(ctx context.Context, bin, dir string) (*Postgres, error) {
	addr, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	_, port, _ := strings.Cut(addr, ":")
	p := &Postgres{bin: bin, data: filepath.Join(dir, "data"), sockets: dir, port: port, addr: addr}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("start postgres: as root the server needs the postgres user: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			return nil, fmt.Errorf("start postgres: %w", err)
		}
	}
	// A system without the C.UTF-8 locale gets the default one, as in
	// deploy/local/stack.sh.
	for _, locale := range [][]string{{"--locale=C.UTF-8"}, nil} {
		args := append([]string{"-D", p.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"}, locale...)
		initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
		out, err := initdb.CombinedOutput()
		if err == nil {
			break
		}
		if locale == nil {
			return nil, fmt.Errorf("start postgres: initdb: %w: %s", err, Tail(out, 2000))
		}
		os.RemoveAll(p.data)
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// URL returns the URL of database on the server, as its superuser.
func (p *Postgres) URL(database string) string {
	return "postgres://postgres@" + p.addr + "/" + database + "?sslmode=disable"
}

// PID returns the postmaster's process id, or 0 while it is stopped.
func (p *Postgres) PID() int {
	if p.proc == nil || p.proc.Exited() {
		return 0
	}
	return p.proc.PID()
}

// Start starts the server, again after Stop, on the same port with the
// same files, and returns once it accepts connections: after an immediate
// shutdown, once it has recovered.
func (p *Postgres) Start(ctx context.Context) error {
	if p.proc != nil && !p.proc.Exited() {
		return fmt.Errorf("start postgres on %s: it is running", p.addr)
	}
	f, err := os.OpenFile(filepath.Join(p.sockets, "postgres.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.data, "-p", p.port,
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+p.sockets,
		"-c", "fsync=on", "-c", "max_connections=200", "-c", "shared_buffers=128MB")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	proc, err := start("postgres", f, cmd)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.proc = proc
	deadline := time.Now().Add(time.Minute)
	for {
		conn, err := pgx.Connect(ctx, p.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if proc.Exited() || time.Now().After(deadline) || ctx.Err() != nil {
			_ = proc.StopWith(syscall.SIGINT, 10*time.Second)
			return fmt.Errorf("start postgres on %s: %w: %s", p.addr, err, proc.LogTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down as how says and waits for it to end; a
// stopped server is left as it is.
func (p *Postgres) Stop(how Shutdown) error {
	if p.proc == nil || p.proc.Exited() {
		return nil
	}
	sig := syscall.SIGINT
	if how == Immediate {
		sig = syscall.SIGQUIT
	}
	if err := p.proc.StopWith(sig, time.Minute); err != nil {
		return fmt.Errorf("stop postgres (%s): %w", how, err)
	}
	return nil
}
