package stack_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// statLine returns a /proc/PID/stat line as the kernel writes it, with the
// fields the harnesses do not read filled in.
func statLine(pid int, comm string, ppid int, utime, stime, cutime, cstime int64) string {
	return fmt.Sprintf("%d (%s) S %d %d %d 0 -1 4194560 5120 0 3 0 %d %d %d %d 20 0 4 0 123456 987654321 4321 18446744073709551615 1 1 0 0 0 0 0 4096 16384 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		pid, comm, ppid, pid, pid, utime, stime, cutime, cstime)
}

// addProcess adds the stat and cmdline files of one process to fsys.
func addProcess(tb testing.TB, fsys fstest.MapFS, pid int, comm string, ppid int, times [4]int64, args ...string) {
	tb.Helper()
	dir := fmt.Sprint(pid)
	fsys[dir+"/stat"] = &fstest.MapFile{Data: []byte(statLine(pid, comm, ppid, times[0], times[1], times[2], times[3]))}
	cmdline := ""
	for _, a := range args {
		cmdline += a + "\x00"
	}
	fsys[dir+"/cmdline"] = &fstest.MapFile{Data: []byte(cmdline)}
}

// parseCase is a text to parse and what it should give, or that it should
// fail.
type parseCase[T comparable] struct {
	name    string
	text    string
	want    T
	wantErr bool
}

// runParseCases runs parse on each case's text as a subtest.
func runParseCases[T comparable](t *testing.T, parse func([]byte) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse([]byte(tt.text))
			switch {
			case tt.wantErr && err == nil:
				t.Fatalf("parse(%q) = %+v, want an error", tt.text, got)
			case tt.wantErr:
			case err != nil:
				t.Fatalf("parse(%q): %v", tt.text, err)
			case got != tt.want:
				t.Errorf("parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	runParseCases(t, stack.ParseProcStat, []parseCase[stack.ProcStat]{
		{
			name: "plain name",
			text: statLine(42, "redis-server", 1, 150, 50, 7, 3),
			want: stack.ProcStat{Comm: "redis-server", PPID: 1, UTime: 150, STime: 50, CUTime: 7, CSTime: 3},
		},
		{
			name: "name with spaces and parentheses",
			text: statLine(43, "a (b) c) 1 2", 7, 11, 22, 33, 44),
			want: stack.ProcStat{Comm: "a (b) c) 1 2", PPID: 7, UTime: 11, STime: 22, CUTime: 33, CSTime: 44},
		},
		{
			name: "empty name",
			text: statLine(44, "", 2, 1, 2, 3, 4),
			want: stack.ProcStat{Comm: "", PPID: 2, UTime: 1, STime: 2, CUTime: 3, CSTime: 4},
		},
		{name: "no parentheses", text: "42 redis S 1 2 3", wantErr: true},
		{name: "cut short", text: "42 (redis) S 1 42 42 0 -1 4194560 5120 0 3 0 150 50", wantErr: true},
		{name: "time not a number", text: strings.Replace(statLine(42, "redis", 1, 150, 50, 0, 0), " 150 ", " x ", 1), wantErr: true},
		{name: "ppid not a number", text: "42 (redis) S x 42 42 0 -1 4194560 5120 0 3 0 150 50 0 0 20 0", wantErr: true},
	})
}

func TestProcStat_Seconds(t *testing.T) {
	s := stack.ProcStat{UTime: 150, STime: 50, CUTime: 120, CSTime: 80}
	if got := s.Seconds(false); got != 2 {
		t.Errorf("Seconds(false) = %v, want 2", got)
	}
	if got := s.Seconds(true); got != 4 {
		t.Errorf("Seconds(true) = %v, want 4", got)
	}
}

func TestProc_ProcessCPU(t *testing.T) {
	fsys := fstest.MapFS{}
	addProcess(t, fsys, 7, "prizes serve", 1, [4]int64{250, 50, 100, 0}, "prizes", "serve")
	p := stack.Proc{FS: fsys}
	if got, ok := p.ProcessCPU(7, false); !ok || got != 3 {
		t.Errorf("ProcessCPU(7, false) = %v, %v; want 3, true", got, ok)
	}
	if got, ok := p.ProcessCPU(7, true); !ok || got != 4 {
		t.Errorf("ProcessCPU(7, true) = %v, %v; want 4, true", got, ok)
	}
	if got, ok := p.ProcessCPU(8, false); ok {
		t.Errorf("ProcessCPU of a missing process = %v, true; want false", got)
	}
}

func TestProc_PIDs(t *testing.T) {
	fsys := fstest.MapFS{"stat": &fstest.MapFile{}, "self/stat": &fstest.MapFile{}, "sys/kernel/osrelease": &fstest.MapFile{}}
	addProcess(t, fsys, 12, "a", 1, [4]int64{}, "a")
	addProcess(t, fsys, 3, "b", 1, [4]int64{}, "b")
	got, err := stack.Proc{FS: fsys}.PIDs()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[12 3]" {
		t.Errorf("PIDs() = %v, want [12 3]: numeric folders only, in name order", got)
	}
}

// postgresTree is a machine with two PostgreSQL servers, on ports 5432 and
// 5433, each with backends, and a process that only mentions -p 5433.
func postgresTree(tb testing.TB) fstest.MapFS {
	tb.Helper()
	fsys := fstest.MapFS{}
	// The server on 5432, which the one on 5433 must not be mixed with.
	addProcess(tb, fsys, 50, "postgres", 1, [4]int64{1000, 1000, 5000, 5000},
		"/usr/lib/postgresql/16/bin/postgres", "-D", "main", "-p", "5432")
	addProcess(tb, fsys, 51, "postgres", 50, [4]int64{700, 300, 0, 0}, "postgres: 16/main: checkpointer ")
	// Not a postmaster although its arguments name the port.
	addProcess(tb, fsys, 60, "psql", 1, [4]int64{900, 100, 0, 0}, "psql", "-p", "5433")
	// The server on 5433: its own time, the backends that ended, and two
	// live backends whose children do not count.
	addProcess(tb, fsys, 100, "postgres", 1, [4]int64{150, 50, 600, 200},
		"postgres", "-D", "pgdata", "-c", "fsync=off", "-p", "5433")
	addProcess(tb, fsys, 101, "postgres", 100, [4]int64{250, 50, 9900, 0}, "postgres: writer")
	addProcess(tb, fsys, 102, "postgres", 100, [4]int64{75, 25, 0, 0}, "postgres: bench bench 127.0.0.1(5555) idle")
	// A child of a backend is not one of the server's backends.
	addProcess(tb, fsys, 103, "postgres", 102, [4]int64{4000, 0, 0, 0}, "postgres: parallel worker")
	return fsys
}

func TestProc_PostgresCPU(t *testing.T) {
	p := stack.Proc{FS: postgresTree(t)}
	tests := []struct {
		port   string
		want   float64
		wantOK bool
	}{
		// 2 of its own, 8 of the backends that ended, 3 and 1 of the live
		// ones.
		{port: "5433", want: 14, wantOK: true},
		{port: "5432", want: 130, wantOK: true},
		{port: "5434", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.port, func(t *testing.T) {
			got, ok := p.PostgresCPU(tt.port)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("PostgresCPU(%q) = %v, %v; want %v, %v", tt.port, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseMachineCPU(t *testing.T) {
	runParseCases(t, stack.ParseMachineCPU, []parseCase[stack.MachineCPU]{
		{
			name: "current kernel",
			text: "cpu  1000 200 300 90000 400 50 150 70 30 10\ncpu0 500 100 150 45000 200 25 75 35 15 5\nintr 1 2 3\n",
			want: stack.MachineCPU{User: 1000, Nice: 200, System: 300, Idle: 90000, IOWait: 400, IRQ: 50, SoftIRQ: 150, Steal: 70, Guest: 30, GuestNice: 10},
		},
		{
			name: "no guest times",
			text: "cpu 1000 200 300 90000 400 50 150 70\n",
			want: stack.MachineCPU{User: 1000, Nice: 200, System: 300, Idle: 90000, IOWait: 400, IRQ: 50, SoftIRQ: 150, Steal: 70},
		},
		{name: "no steal", text: "cpu 1000 200 300 90000 400 50 150\n", wantErr: true},
		{name: "first line is a core", text: "cpu0 1000 200 300 90000 400 50 150 70 30 10\n", wantErr: true},
		{name: "not a number", text: "cpu 1000 200 x 90000 400 50 150 70 30 10\n", wantErr: true},
		{name: "empty", text: "", wantErr: true},
	})
}

func TestMachineCPU_Busy(t *testing.T) {
	m := stack.MachineCPU{User: 1000, Nice: 200, System: 300, Idle: 90000, IOWait: 400, IRQ: 50, SoftIRQ: 150, Steal: 70, Guest: 30, GuestNice: 10}
	// Busy leaves out idle, iowait, steal and guest.
	if got := m.Busy(); got != 17 {
		t.Errorf("Busy() = %v, want 17", got)
	}
	if got := m.Interrupts(); got != 2 {
		t.Errorf("Interrupts() = %v, want 2", got)
	}
	if got := m.Stolen(); got != 0.7 {
		t.Errorf("Stolen() = %v, want 0.7", got)
	}
}

func TestProc_Machine(t *testing.T) {
	p := stack.Proc{FS: fstest.MapFS{"stat": &fstest.MapFile{Data: []byte("cpu 100 0 100 500 0 0 0 0 0 0\n")}}}
	m, err := p.Machine()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Busy(); got != 2 {
		t.Errorf("Busy() = %v, want 2", got)
	}
	if _, err := (stack.Proc{FS: fstest.MapFS{}}).Machine(); err == nil {
		t.Error("Machine() without a stat file succeeded")
	}
}

func TestCPUSampler_Sample(t *testing.T) {
	fsys := postgresTree(t)
	addProcess(t, fsys, 200, "prizes", 1, [4]int64{300, 100, 9000, 0}, "prizes", "serve")
	// Without /proc/stat the machine's entries are zeros.
	machine := map[string]float64{"machine": 0, "irq": 0, "steal": 0}
	with := func(m map[string]float64) map[string]float64 {
		maps.Copy(m, machine)
		return m
	}
	tests := []struct {
		name string
		port string
		want map[string]float64
	}{
		{
			// The serve's ended children are left out, and a process that
			// cannot be read has no entry.
			name: "processes only",
			want: with(map[string]float64{"prizes serve": 4}),
		},
		{
			name: "with postgres",
			port: "5433",
			want: with(map[string]float64{"prizes serve": 4, "postgres": 14}),
		},
		{
			name: "postgres not found",
			port: "6543",
			want: with(map[string]float64{"prizes serve": 4}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &stack.CPUSampler{
				Proc:         stack.Proc{FS: fsys},
				PIDs:         map[string]int{"prizes serve": 200, "redis": 300},
				PostgresPort: tt.port,
			}
			got := s.Sample()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Sample() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCPUSampler_Sample_groups: a group is the sum of its members that can
// be read, and a group with none has no entry.
func TestCPUSampler_Sample_groups(t *testing.T) {
	// user 100, system 100, idle 500, irq 20, softirq 30, steal 40 ticks.
	fsys := fstest.MapFS{"stat": &fstest.MapFile{Data: []byte("cpu 100 0 100 500 0 20 30 40 0 0\n")}}
	addProcess(t, fsys, 201, "prizes", 1, [4]int64{300, 100, 9000, 0}, "prizes", "flush")
	addProcess(t, fsys, 202, "prizes", 1, [4]int64{50, 50, 0, 0}, "prizes", "flush")
	s := &stack.CPUSampler{
		Proc:   stack.Proc{FS: fsys},
		PIDs:   map[string]int{"prizes serve": 201},
		Groups: map[string][]int{"prizes flush": {201, 202, 999}, "gone": {998}},
	}
	got := s.Sample()
	want := map[string]float64{"prizes serve": 4, "prizes flush": 5, "machine": 2.5, "irq": 0.5, "steal": 0.4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Sample() = %v, want %v", got, want)
	}
}

func TestCores(t *testing.T) {
	before := map[string]float64{"a": 1, "b": 2, "gone": 5}
	after := map[string]float64{"a": 3, "b": 2, "new": 9}
	got := stack.Cores(before, after, 2)
	want := map[string]float64{"a": 1, "b": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Cores() = %v, want %v: a name missing from either sample is left out", got, want)
	}
	if got := stack.Cores(before, after, 0); len(got) != 0 {
		t.Errorf("Cores() over no time = %v, want nothing", got)
	}
}
