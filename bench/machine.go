package main

import (
	"os"
	"os/exec"
	"sort"
	"strings"
)

// numCPU is the number of processors /proc/cpuinfo lists.
func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

// cpuModel is the processor model /proc/cpuinfo names.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.IndexByte(l, ':'); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return "?"
}

// motoVersion is the installed moto's version.
func motoVersion() string {
	out, err := exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

// awsVersion is the AWS CLI's version, as it prints it.
func awsVersion() string {
	out, err := exec.Command("aws", "--version").CombinedOutput()
	if err != nil {
		return "aws CLI ?"
	}
	return strings.Fields(string(out))[0]
}

// commandLine is the command that reruns this bench: its BENCH_ settings and bench/run.sh.
func commandLine(cfg config) string {
	var vars []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BENCH_") {
			vars = append(vars, kv)
		}
	}
	sort.Strings(vars)
	return strings.TrimSpace(strings.Join(vars, " ") + " bench/run.sh")
}
