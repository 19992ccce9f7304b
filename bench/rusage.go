package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// gnuTime is GNU time, which reports its child's peak RSS as the kernel gives it to the parent.
const gnuTime = "/usr/bin/time"

// measured is a tool's command, run under GNU time when it is installed.
//
// The child's own rusage cannot give its peak RSS here: Go starts children with
// clone(CLONE_VM|CLONE_VFORK), so until exec the child shares the bench's memory, and Linux
// carries that memory's high-water mark into the child's ru_maxrss across exec. The bench holds
// the stand-in's objects, so every tool would be charged the bench's own peak (a run of the
// client mode measured "119 MiB" for a scan whose VmHWM in /proc never passed 38 MiB). GNU time
// starts the tool with fork() from its own small process and reports the tool's peak (%M, KiB).
// CPU time still comes from the rusage the bench reaps: a reaped child's includes the children it
// reaped in turn.
type measured struct {
	*exec.Cmd
	rssFile string
}

// measuredCommand is exec.CommandContext(ctx, name, args...) under GNU time.
func measuredCommand(ctx context.Context, name string, args ...string) *measured {
	if _, err := os.Stat(gnuTime); err != nil {
		logf("%s not found: peak RSS is the child's rusage, which includes the bench's own peak (an upper bound)", gnuTime)
		return &measured{Cmd: exec.CommandContext(ctx, name, args...)}
	}
	f, err := os.CreateTemp("", "sseguard-bench-rss-")
	if err != nil {
		fail("%v", err)
	}
	f.Close()
	return &measured{Cmd: exec.CommandContext(ctx, gnuTime, append([]string{"-f", "%M", "-o", f.Name(), name}, args...)...), rssFile: f.Name()}
}

// usage is the CPU time and peak RSS (KiB) of the finished command.
func (m *measured) usage() (cpu time.Duration, maxRSS int64) {
	ru, ok := m.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fail("no rusage for %s", m.Path)
	}
	cpu, maxRSS = time.Duration(ru.Utime.Nano()+ru.Stime.Nano()), ru.Maxrss
	if m.rssFile == "" {
		return cpu, maxRSS
	}
	defer os.Remove(m.rssFile)
	b, err := os.ReadFile(m.rssFile)
	if err != nil {
		fail("read GNU time's report: %v", err)
	}
	// "Command exited with non-zero status N" comes first when the tool failed.
	lines := strings.Fields(strings.TrimSpace(string(b)))
	if len(lines) == 0 {
		fail("GNU time reported nothing for %v", m.Args)
	}
	kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		fail("GNU time's report %q: %v", b, err)
	}
	return cpu, kib
}
