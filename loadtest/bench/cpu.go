package bench

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc; it is 100 on
// every Linux the harness is meant for.
const clockTicks = 100

// cpuSampler reads how much CPU time the processes of a benchmark have used,
// so a report can say which of them the machine's two cores went to.
type cpuSampler struct {
	// pids are single processes by name, all their threads included.
	pids map[string]int
	// pgPort finds the PostgreSQL server by the port it listens on: its
	// postmaster and every backend count as "postgres".
	pgPort string
}

// cpuSample is CPU seconds by component, with "machine" for every core's
// busy time, "irq" for the part of it spent in interrupts and softirqs, and
// "steal" for time taken by the hypervisor.
type cpuSample map[string]float64

func (s *cpuSampler) sample() cpuSample {
	out := cpuSample{}
	for name, pid := range s.pids {
		if t, ok := procCPU(pid, false); ok {
			out[name] = t
		}
	}
	if s.pgPort != "" {
		if t, ok := s.postgresCPU(); ok {
			out["postgres"] = t
		}
	}
	out["machine"], out["irq"], out["steal"] = machineTimes()
	return out
}

// diff returns the cores each component kept busy between two samples
// taken seconds apart.
func (a cpuSample) diff(b cpuSample, seconds float64) map[string]float64 {
	out := map[string]float64{}
	if seconds <= 0 {
		return out
	}
	for k, v := range b {
		if u, ok := a[k]; ok {
			out[k] = (v - u) / seconds
		}
	}
	return out
}

// procCPU returns the user and system CPU seconds of pid; with children it
// adds those of its children that have ended.
func procCPU(pid int, children bool) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name is in parentheses and may hold spaces; the fields
	// that matter come after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is the state (field 3): utime is field 14, stime 15, cutime 16,
	// cstime 17.
	if len(f) < 15 {
		return 0, false
	}
	n := 2
	if children {
		n = 4
	}
	var ticks float64
	for _, s := range f[11 : 11+n] {
		v, _ := strconv.ParseFloat(s, 64)
		ticks += v
	}
	return ticks / clockTicks, true
}

// ppid returns the parent of pid.
func ppid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// postgresCPU finds the postmaster listening on the port and sums its time,
// that of its live backends and that of the backends that ended.
func (s *cpuSampler) postgresCPU() (float64, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	var pids []int
	master := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		if master == 0 && len(args) > 0 && strings.HasSuffix(args[0], "postgres") {
			for j := 0; j+1 < len(args); j++ {
				if args[j] == "-p" && args[j+1] == s.pgPort {
					master = pid
				}
			}
		}
		pids = append(pids, pid)
	}
	if master == 0 {
		return 0, false
	}
	total, _ := procCPU(master, true)
	for _, pid := range pids {
		if pid != master && ppid(pid) == master {
			t, _ := procCPU(pid, false)
			total += t
		}
	}
	return total, true
}

// machineTimes returns CPU seconds of the whole machine, every core summed,
// from /proc/stat: busy (user, nice, system, irq, softirq), of which irq and
// softirq (network processing that no process is charged with), and steal
// (time the hypervisor gave to other machines).
func machineTimes() (busy, irq, steal float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, 0
	}
	v := make([]float64, 8)
	for i := range v {
		v[i], _ = strconv.ParseFloat(f[1+i], 64)
		v[i] /= clockTicks
	}
	// user nice system idle iowait irq softirq steal
	return v[0] + v[1] + v[2] + v[5] + v[6], v[5] + v[6], v[7]
}
