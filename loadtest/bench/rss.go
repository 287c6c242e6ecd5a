package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procRSS returns the resident memory of pid in bytes, from the VmRSS line
// of /proc/PID/status.
func procRSS(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	return parseRSS(b)
}

// parseRSS reads "VmRSS:    12345 kB" from a /proc/PID/status text.
func parseRSS(status []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}

// rssSampler records the resident memory of one process at a fixed
// interval while a run lasts. VmHWM would give the peak without sampling,
// but over the life of the process, which spans several runs.
type rssSampler struct {
	pid   int
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	peak  int64
	last  int64
	count int
}

// startRSS samples pid now and then every interval until stop is called.
func startRSS(pid int, interval time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	v, ok := procRSS(s.pid)
	if !ok {
		return
	}
	s.mu.Lock()
	s.peak, s.last = max(s.peak, v), v
	s.count++
	s.mu.Unlock()
}

// finish takes a last sample, stops the sampling and returns the largest
// and the last resident memory seen, in bytes, and whether any sample was
// read.
func (s *rssSampler) finish() (peak, end int64, ok bool) {
	close(s.stop)
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.last, s.count > 0
}
