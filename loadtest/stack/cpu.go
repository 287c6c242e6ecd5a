package stack

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of the CPU times in /proc. The kernel
// fixes it at 100 on every Linux the harnesses are meant for, so it is not
// asked for at run time.
const ClockTicks = 100

// Proc reads CPU times from a proc file system. Its zero value reads the
// host's /proc; a test gives it a tree of its own, so that finding a
// PostgreSQL server and summing its backends can be checked without one.
type Proc struct {
	// FS is the root of the proc file system, holding stat and a folder per
	// process; nil means the host's /proc.
	FS fs.FS
}

func (p Proc) fsys() fs.FS {
	if p.FS == nil {
		return os.DirFS("/proc")
	}
	return p.FS
}

// ProcStat is the part of a /proc/PID/stat line the harnesses read.
type ProcStat struct {
	// Comm is the command name. It may hold spaces and parentheses, which
	// is why the fields are counted from its last closing parenthesis.
	Comm string
	PPID int
	// UTime and STime are the user and system time of the process, all its
	// threads included; CUTime and CSTime are those of its children that
	// have ended and been waited for. All four are in clock ticks.
	UTime, STime, CUTime, CSTime int64
}

// Seconds returns the user and system CPU seconds of the process, and with
// children those of its children that have ended too.
func (s ProcStat) Seconds(children bool) float64 {
	t := s.UTime + s.STime
	if children {
		t += s.CUTime + s.CSTime
	}
	return float64(t) / ClockTicks
}

// ParseProcStat parses the text of a /proc/PID/stat file.
func ParseProcStat(b []byte) (ProcStat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return ProcStat{}, errors.New("parse proc stat: no command name in parentheses")
	}
	// f[0] is the state, field 3 of the line: ppid is field 4, utime 14,
	// stime 15, cutime 16 and cstime 17.
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 15 {
		return ProcStat{}, fmt.Errorf("parse proc stat: %d fields after the command name, want at least 15", len(f))
	}
	s := ProcStat{Comm: string(b[open+1 : end])}
	var err error
	if s.PPID, err = strconv.Atoi(f[1]); err != nil {
		return ProcStat{}, fmt.Errorf("parse proc stat: ppid: %w", err)
	}
	for i, v := range []*int64{&s.UTime, &s.STime, &s.CUTime, &s.CSTime} {
		if *v, err = strconv.ParseInt(f[11+i], 10, 64); err != nil {
			return ProcStat{}, fmt.Errorf("parse proc stat: field %d: %w", 14+i, err)
		}
	}
	return s, nil
}

// Stat reads and parses the stat file of pid.
func (p Proc) Stat(pid int) (ProcStat, error) {
	b, err := fs.ReadFile(p.fsys(), strconv.Itoa(pid)+"/stat")
	if err != nil {
		return ProcStat{}, fmt.Errorf("read stat of process %d: %w", pid, err)
	}
	s, err := ParseProcStat(b)
	if err != nil {
		return ProcStat{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return s, nil
}

// ProcessCPU returns the user and system CPU seconds of pid, and with
// children those of its children that have ended too; false when pid
// cannot be read, having ended or never been.
func (p Proc) ProcessCPU(pid int, children bool) (float64, bool) {
	s, err := p.Stat(pid)
	if err != nil {
		return 0, false
	}
	return s.Seconds(children), true
}

// PIDs returns the processes of the tree, in the order of their folder
// names.
func (p Proc) PIDs() ([]int, error) {
	entries, err := fs.ReadDir(p.fsys(), ".")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Cmdline returns the arguments pid was started with.
func (p Proc) Cmdline(pid int) ([]string, error) {
	b, err := fs.ReadFile(p.fsys(), strconv.Itoa(pid)+"/cmdline")
	if err != nil {
		return nil, fmt.Errorf("read command line of process %d: %w", pid, err)
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), nil
}

// PostgresCPU finds the postmaster started with -p port and returns the
// CPU seconds of the server: its own, those of its live backends and those
// of the backends that ended. Backends live as long as a connection, so
// without the ended ones a run that opens connections would lose most of
// the server's work. A server started without -p on its command line is
// not found, and PostgresCPU returns false.
func (p Proc) PostgresCPU(port string) (float64, bool) {
	pids, err := p.PIDs()
	if err != nil {
		return 0, false
	}
	master := 0
	for _, pid := range pids {
		if args, err := p.Cmdline(pid); err == nil && isPostmaster(args, port) {
			master = pid
			break
		}
	}
	if master == 0 {
		return 0, false
	}
	total, _ := p.ProcessCPU(master, true)
	for _, pid := range pids {
		if pid == master {
			continue
		}
		if s, err := p.Stat(pid); err == nil && s.PPID == master {
			total += s.Seconds(false)
		}
	}
	return total, true
}

// isPostmaster reports whether args start a postgres binary with -p port.
// Backends rewrite their command line to say what they do, so only the
// postmaster keeps its flags.
func isPostmaster(args []string, port string) bool {
	if len(args) == 0 || !strings.HasSuffix(args[0], "postgres") {
		return false
	}
	for j := 0; j+1 < len(args); j++ {
		if args[j] == "-p" && args[j+1] == port {
			return true
		}
	}
	return false
}

// MachineCPU is the first line of /proc/stat: the time of the whole
// machine, every core summed, by kind, in clock ticks. Guest and GuestNice
// are also counted within User and Nice.
type MachineCPU struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal, Guest, GuestNice int64
}

// ParseMachineCPU parses the text of /proc/stat. Kernels before 2.6.33 do
// not list the guest times, which then stay zero.
func ParseMachineCPU(b []byte) (MachineCPU, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return MachineCPU{}, errors.New("parse /proc/stat: the first line is not the cpu line with 8 times or more")
	}
	var m MachineCPU
	dst := []*int64{&m.User, &m.Nice, &m.System, &m.Idle, &m.IOWait, &m.IRQ, &m.SoftIRQ, &m.Steal, &m.Guest, &m.GuestNice}
	for i, v := range f[1:min(len(f), 1+len(dst))] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("parse /proc/stat: cpu time %d: %w", i+1, err)
		}
		*dst[i] = n
	}
	return m, nil
}

// Machine reads the CPU times of the whole machine.
func (p Proc) Machine() (MachineCPU, error) {
	b, err := fs.ReadFile(p.fsys(), "stat")
	if err != nil {
		return MachineCPU{}, fmt.Errorf("read machine cpu times: %w", err)
	}
	return ParseMachineCPU(b)
}

// Busy returns the seconds the cores worked: user, nice, system, irq and
// softirq. Steal is left out, being time the hypervisor gave to other
// machines, and guest with it, being within user and nice already.
func (m MachineCPU) Busy() float64 {
	return seconds(m.User) + seconds(m.Nice) + seconds(m.System) + seconds(m.IRQ) + seconds(m.SoftIRQ)
}

// Interrupts returns the seconds of irq and softirq: network processing,
// among others, that no process is charged with.
func (m MachineCPU) Interrupts() float64 {
	return seconds(m.IRQ) + seconds(m.SoftIRQ)
}

// Stolen returns the seconds the hypervisor gave to other machines.
func (m MachineCPU) Stolen() float64 {
	return seconds(m.Steal)
}

func seconds(ticks int64) float64 { return float64(ticks) / ClockTicks }

// CPUSampler reads the CPU seconds used so far by the processes of a run,
// by name, so that a report can say where the machine's cores went.
type CPUSampler struct {
	Proc Proc
	// PIDs are single processes by name, all their threads included. Their
	// ended children are left out: the load generator is one of them, and
	// the prizes subcommands it runs to set up and check are not load.
	PIDs map[string]int
	// Groups are processes whose times are summed under one name, such as
	// the masters of a Redis Cluster or several API nodes. A member that
	// cannot be read is left out of its sum; a group none of whose members
	// can be read has no entry.
	Groups map[string][]int
	// PostgresPort, when set, adds the PostgreSQL server found by
	// PostgresCPU as "postgres".
	PostgresPort string
}

// Sample returns CPU seconds used so far by name, and by the whole machine:
// "machine" for every core's busy time (user, nice, system, irq and
// softirq; not idle, iowait or steal), "irq" for the part of it spent in
// interrupts, which no process is charged with, and "steal" for time the
// hypervisor gave to other machines. This is the harness's one definition
// of what the machine did. A process that cannot be read, and a server
// that is not found, have no entry; the machine's entries are there even
// when /proc/stat cannot be read, as zeros.
func (s *CPUSampler) Sample() map[string]float64 {
	out := map[string]float64{}
	for name, pid := range s.PIDs {
		if t, ok := s.Proc.ProcessCPU(pid, false); ok {
			out[name] = t
		}
	}
	for name, pids := range s.Groups {
		for _, pid := range pids {
			if t, ok := s.Proc.ProcessCPU(pid, false); ok {
				out[name] += t
			}
		}
	}
	if s.PostgresPort != "" {
		if t, ok := s.Proc.PostgresCPU(s.PostgresPort); ok {
			out["postgres"] = t
		}
	}
	m, _ := s.Proc.Machine()
	out["machine"], out["irq"], out["steal"] = m.Busy(), m.Interrupts(), m.Stolen()
	return out
}

// Cores returns the cores each name kept busy between two samples taken
// seconds apart. A name missing from either sample is left out: counted
// from zero, its whole lifetime would show as one interval's.
func Cores(before, after map[string]float64, seconds float64) map[string]float64 {
	out := map[string]float64{}
	if seconds <= 0 {
		return out
	}
	for k, v := range after {
		if u, ok := before[k]; ok {
			out[k] = (v - u) / seconds
		}
	}
	return out
}

// PortOf returns the port of a PostgreSQL URL, "5432" when it names none.
func PortOf(dsn string) string {
	s := dsn
	if _, rest, ok := strings.Cut(s, "@"); ok {
		s = rest
	} else if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	if _, port, ok := strings.Cut(s, ":"); ok {
		return port
	}
	return "5432"
}
