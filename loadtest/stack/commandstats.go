package stack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// CommandStat is what Redis spent on one command over a run, from INFO
// commandstats: how often it ran and the microseconds it took in all. A
// script's own commands are counted apart from the script, and also inside
// its time.
type CommandStat struct {
	Calls int64 `json:"calls"`
	Usec  int64 `json:"usec"`
}

// CommandStats reads INFO commandstats.
func (r *Redis) CommandStats(ctx context.Context) (map[string]CommandStat, error) {
	m, err := r.Info(ctx, "commandstats")
	if err != nil {
		return nil, err
	}
	return ParseCommandStats(m)
}

// ResetCommandStats zeroes the command statistics, so that the next
// CommandStats counts what came after alone.
func (r *Redis) ResetCommandStats(ctx context.Context) error {
	if err := r.Client.ConfigResetStat(ctx).Err(); err != nil {
		return fmt.Errorf("redis config resetstat: %w", err)
	}
	return nil
}

// ParseCommandStats reads the fields of INFO commandstats, as split into
// name and value at the colon ("cmdstat_evalsha" and
// "calls=3,usec=45,usec_per_call=15.00,..."), by command name (subcommands
// as "xgroup|create"). Other fields are left out.
func ParseCommandStats(info map[string]string) (map[string]CommandStat, error) {
	out := map[string]CommandStat{}
	for k, v := range info {
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		var st CommandStat
		var err error
		for _, field := range strings.Split(v, ",") {
			f, val, _ := strings.Cut(field, "=")
			switch f {
			case "calls":
				st.Calls, err = strconv.ParseInt(val, 10, 64)
			case "usec":
				st.Usec, err = strconv.ParseInt(val, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("redis info commandstats: %s: %q: %w", name, v, err)
			}
		}
		out[name] = st
	}
	return out, nil
}
