package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// capped estimates whether a run was limited by moto: its request rate at the proxy against the
// ceiling for its mix of reads and copies.
func (b *bench) capped(r result) string {
	if b.headCeil == 0 || b.copyCeil == 0 {
		return ""
	}
	var secs float64
	for op, n := range r.requests {
		switch op {
		case "CopyObject", "UploadPartCopy":
			secs += float64(n) / b.copyCeil
		default:
			secs += float64(n) / b.headCeil
		}
	}
	busy := secs / r.wall.Seconds()
	if busy >= 0.75 {
		return fmt.Sprintf("yes (~%.0f%%)", busy*100)
	}
	return fmt.Sprintf("no (~%.0f%%)", busy*100)
}

// table writes the compare mode's results, then the ratios between the tools.
func (b *bench) table(w io.Writer, results []result) {
	fmt.Fprintf(w, "%d small objects (512 B–4.5 KiB) + %d of %d MiB per run, %s added to every request, moto reset and reseeded before each run.\n\n",
		b.cfg.objects, b.cfg.big, b.cfg.bigSize>>20, b.cfg.latency)
	fmt.Fprintln(w, "| scenario | tool | in flight | objects/s | wall s | requests/object | CPU s /1000 obj | peak RSS MiB | moto-bound | not as required afterwards |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---:|---:|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %d | %.1f | %.1f | %s | %.2f | %d | %s | %s |\n",
			r.scenario, r.tool, r.conc, r.rate(), r.wall.Seconds(), perObject(r), r.cpuPer1000(), r.maxRSS>>10, b.capped(r), badString(r))
	}
	fmt.Fprintln(w)
	find := func(scenario, tool string) *result {
		for i := range results {
			if results[i].scenario == scenario && results[i].tool == tool {
				return &results[i]
			}
		}
		return nil
	}
	fmt.Fprintln(w, "| scenario | comparison | objects/s ratio | CPU per object ratio (sseguard / CLI) |")
	fmt.Fprintln(w, "|---|---|---:|---:|")
	for _, scenario := range b.cfg.scenarios {
		s := find(scenario, "sseguard")
		for _, c := range []struct{ tool, label string }{{"cli", "defaults (64 vs 10)"}, {"cli-equal", fmt.Sprintf("equal concurrency (%d)", b.cfg.cliConc)}} {
			cl := find(scenario, c.tool)
			if s == nil || cl == nil {
				continue
			}
			fmt.Fprintf(w, "| %s | sseguard vs CLI, %s | %.2f× | %.2f |\n", scenario, c.label, s.rate()/cl.rate(), s.cpuPer1000()/cl.cpuPer1000())
		}
		if se, cl := find(scenario, "sseguard-equal"), find(scenario, "cli"); se != nil && cl != nil {
			fmt.Fprintf(w, "| %s | sseguard at %d vs CLI defaults (10) | %.2f× | %.2f |\n", scenario, se.conc, se.rate()/cl.rate(), se.cpuPer1000()/cl.cpuPer1000())
		}
	}
	fmt.Fprintln(w)
}

// perObject is the requests per object, in total and by operation (those over 0.005).
func perObject(r result) string {
	ops := make([]string, 0, len(r.requests))
	for op, n := range r.requests {
		if float64(n)/float64(r.objects) >= 0.005 {
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return r.requests[ops[i]] > r.requests[ops[j]] })
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %.2f", op, float64(r.requests[op])/float64(r.objects)))
	}
	return fmt.Sprintf("**%.2f**: %s", float64(r.totalRequests())/float64(r.objects), strings.Join(parts, ", "))
}

// badString says what was not as required afterwards, and how the tool exited if it failed.
func badString(r result) string {
	if len(r.bad) == 0 && r.exit == "" {
		return "none"
	}
	var parts []string
	for what, n := range r.bad {
		parts = append(parts, fmt.Sprintf("%s: %d", what, n))
	}
	sort.Strings(parts)
	s := strings.Join(parts, ", ")
	if r.exit != "" {
		s += " " + r.exit
	}
	return s
}
