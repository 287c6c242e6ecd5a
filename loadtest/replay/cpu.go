package replay

import "github.com/wsisvote/prizes/loadtest/stack"

// cpuSampler reads how much CPU the processes of a replay have used: named
// children by pid, every process called postgres, and the whole machine.
//
// The bench and the naive comparison find PostgreSQL by the -p of its
// postmaster's command line; the replay finds it by name, which also sees
// a server started without -p, and its reports are read that way. The
// cost, which the report states, is that another PostgreSQL server on the
// machine counts too and that backends which ended are missed: their time
// falls into "rest".
type cpuSampler struct {
	stack.CPUSampler
}

// cpuTimes are CPU seconds used so far, by process name.
type cpuTimes map[string]float64

func (c *cpuSampler) sample() cpuTimes {
	out := cpuTimes(c.Sample())
	if pids, err := c.Proc.PIDs(); err == nil {
		for _, pid := range pids {
			if s, err := c.Proc.Stat(pid); err == nil && s.Comm == "postgres" {
				out["postgres"] += s.Seconds(false)
			}
		}
	}
	// The machine's figure is everything but idle and iowait, steal and
	// guest included, rather than the bench's busy time: it is what the
	// replay's reports have always shown as "machine" and taken "rest"
	// from, and they stay comparable with the earlier ones.
	if m, err := c.Proc.Machine(); err == nil {
		out["machine"] = float64(m.User+m.Nice+m.System+m.IRQ+m.SoftIRQ+m.Steal+m.Guest+m.GuestNice) / stack.ClockTicks
	}
	return out
}

// cores returns the cores each process kept busy between c and later, over
// wall seconds. Unlike the bench's, it counts a figure missing from c
// from zero and one that fell as none: the postgres figure is a sum over
// live processes, which falls when a backend ends and is missing while
// none runs, so it errs low.
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
