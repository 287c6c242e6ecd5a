package naive

import (
	"bytes"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc; it is 100 on
// every Linux the comparison is meant for.
const clockTicks = 100

// cpuSampler reads the CPU time used so far by the processes of a flush or
// a copy, so that the report can say where the machine's cores went.
type cpuSampler struct {
	// pids are single processes by name, all their threads included.
	pids map[string]int
	// pgPort finds the PostgreSQL server by the port its postmaster was
	// started with: the postmaster, its live backends and those that ended
	// count as "postgres". A server started without -p on its command line
	// is not found, and its figures stay zero.
	pgPort string
}

// cpu returns a sampler for the dedicated Redis and the PostgreSQL server of
// the run; the caller adds the processes it starts.
func (c *comparison) cpu() *cpuSampler {
	s := &cpuSampler{pids: map[string]int{}}
	if pid := c.redis.PID(); pid > 0 {
		s.pids["redis"] = pid
	}
	if u, err := url.Parse(c.db.URL); err == nil {
		s.pgPort = u.Port()
	}
	return s
}

// sample returns CPU seconds by name.
func (s *cpuSampler) sample() map[string]float64 {
	out := map[string]float64{}
	for name, pid := range s.pids {
		if t, ok := procCPU(pid, false); ok {
			out[name] = t
		}
	}
	if s.pgPort != "" {
		if t, ok := postgresCPU(s.pgPort); ok {
			out["postgres"] = t
		}
	}
	return out
}

// perItem returns the microseconds of CPU that name used per item between
// two samples, or zero when either sample lacks it.
func perItem(before, after map[string]float64, name string, items int64) float64 {
	b, okB := before[name]
	a, okA := after[name]
	if !okA || !okB || items <= 0 {
		return 0
	}
	return max(a-b, 0) * 1e6 / float64(items)
}

// procCPU returns the user and system CPU seconds of pid; with children it
// adds those of its children that have ended.
func procCPU(pid int, children bool) (float64, bool) {
	f, ok := statFields(pid)
	// f[0] is the state (field 3 of the file): utime is field 14, stime
	// 15, cutime 16, cstime 17.
	if !ok || len(f) < 15 {
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

// statFields returns the fields of /proc/PID/stat after the command name,
// which is in parentheses and may hold spaces.
func statFields(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}

// postgresCPU finds the postmaster started with -p port and sums its time,
// that of its live backends and that of the backends that ended.
func postgresCPU(port string) (float64, bool) {
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
		pids = append(pids, pid)
		if master != 0 {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		if len(args) == 0 || !strings.HasSuffix(args[0], "postgres") {
			continue
		}
		for j := 0; j+1 < len(args); j++ {
			if args[j] == "-p" && args[j+1] == port {
				master = pid
			}
		}
	}
	if master == 0 {
		return 0, false
	}
	total, _ := procCPU(master, true)
	for _, pid := range pids {
		if f, ok := statFields(pid); ok && len(f) > 1 && f[1] == strconv.Itoa(master) {
			t, _ := procCPU(pid, false)
			total += t
		}
	}
	return total, true
}
