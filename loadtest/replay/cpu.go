package replay

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is the kernel's USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// cpuSampler reads how much CPU the processes of a replay have used, from
// /proc: named children by pid, every process called postgres (the server
// and its backends, which come and go; another PostgreSQL server on the
// machine counts too), and the whole machine.
type cpuSampler struct {
	pids map[string]int
}

// cpuTimes are CPU seconds used so far, by process name.
type cpuTimes map[string]float64

func (c *cpuSampler) sample() cpuTimes {
	out := cpuTimes{}
	for name, pid := range c.pids {
		if t, ok := procCPU(filepath.Join("/proc", strconv.Itoa(pid), "stat")); ok {
			out[name] = t
		}
	}
	if dirs, err := os.ReadDir("/proc"); err == nil {
		for _, d := range dirs {
			if _, err := strconv.Atoi(d.Name()); err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
			if err != nil || !strings.Contains(string(b), "(postgres)") {
				continue
			}
			if t, ok := parseStat(b); ok {
				out["postgres"] += t
			}
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		total := 0.0
		for i, v := range f[1:] {
			n, _ := strconv.ParseFloat(v, 64)
			// Idle and iowait are not work.
			if i != 3 && i != 4 {
				total += n
			}
		}
		out["machine"] = total / clockTicks
	}
	return out
}

// cores returns the cores each process kept busy between c and later, over
// wall seconds. A backend that ended between the samples is missed, so the
// postgres figure errs low.
func (c cpuTimes) cores(later cpuTimes, wall float64) map[string]float64 {
	out := map[string]float64{}
	if wall <= 0 {
		return out
	}
	for k, v := range later {
		out[k] = max(0, v-c[k]) / wall
	}
	return out
}

func procCPU(path string) (float64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return parseStat(b)
}

// parseStat returns utime+stime of a /proc/PID/stat line in seconds. The
// command name may hold spaces, so fields are counted after its closing
// parenthesis.
func parseStat(b []byte) (float64, bool) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	// After the name: state is field 3 of the line, utime 14 and stime 15.
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (u + st) / clockTicks, true
}
