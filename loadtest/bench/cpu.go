package bench

import "github.com/wsisvote/prizes/loadtest/stack"

// cpuSampler reads how much CPU time the processes of a benchmark have used,
// so a report can say which of them the machine's two cores went to. Beside
// the processes it reads the whole machine, whose busy time less theirs is
// what went to other tenants.
type cpuSampler struct {
	stack.CPUSampler
}

// cpuSample is CPU seconds by component, with "machine" for every core's
// busy time, "irq" for the part of it spent in interrupts and softirqs, and
// "steal" for time taken by the hypervisor.
type cpuSample map[string]float64

// sample reads the processes and the machine. The machine's entries are
// there even when /proc/stat cannot be read, as zeros, so that "other" is
// still computed from what was read.
func (s *cpuSampler) sample() cpuSample {
	out := cpuSample(s.Sample())
	m, _ := s.Proc.Machine()
	out["machine"], out["irq"], out["steal"] = m.Busy(), m.Interrupts(), m.Stolen()
	return out
}

// diff returns the cores each component kept busy between two samples
// taken seconds apart. A component missing from either sample is left
// out: counted from zero, its whole lifetime would show as one run's.
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
