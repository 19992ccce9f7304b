// Command bench compares sseguard's re-encryption of existing objects with
// `aws s3 cp s3://b/ s3://b/ --recursive --sse aws:kms --sse-kms-key-id K`, against moto_server
// behind a loopback proxy that adds a fixed latency to every request (real S3 is not on loopback)
// and counts requests by operation. Run it from the repository root:
//
//	go run ./bench            # or bench/run.sh
//
// Everything is configured through environment variables (see config below and bench/README.md).
// Each BENCH_MODE has its file: ceiling.go, compare.go (with seed.go and table.go), client.go
// (with memstore.go, the in-memory S3 stand-in), planning.go and scanmemory.go; setup.go holds
// what they share (moto, its clients, the bucket and keys), rusage.go how a tool's CPU time and
// peak RSS are measured.
// Each run gets a freshly reset moto and freshly seeded objects; afterwards every object is read
// back and checked: required encryption, bytes, metadata, content type and tags unchanged.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// config is read from the environment.
type config struct {
	mode              string          // BENCH_MODE: compare | client | scan-memory | planning | ceiling
	objects           int             // BENCH_OBJECTS: small objects per run
	big               int             // BENCH_BIG: objects above the multipart threshold
	bigSize           int64           // BENCH_BIG_MIB: their size
	threshold         int64           // BENCH_THRESHOLD_MIB: sseguard's --multipart-threshold (the CLI's default multipart_threshold is 8 MiB)
	latency           time.Duration   // BENCH_LATENCY: added to each proxied request
	scenarios         []string        // BENCH_SCENARIOS: all, tenth
	runs              []string        // BENCH_RUNS: sseguard, cli, cli-equal, sseguard-equal
	cliConc           int             // BENCH_CLI_CONCURRENCY: the CLI's max_concurrent_requests in "cli-equal"
	sseguardCon       int             // BENCH_SSEGUARD_CONCURRENCY: sseguard's --concurrency in "sseguard-equal"
	scanObjects       int             // BENCH_SCAN_OBJECTS: objects in the scan-memory mode
	planBuckets       int             // BENCH_PLAN_BUCKETS: buckets in the planning mode
	planKeys          int             // BENCH_PLAN_KEYS: KMS keys in the planning mode
	planLatencies     []time.Duration // BENCH_PLAN_LATENCIES: latencies the planning mode runs at, in turn
	clientObjects     int             // BENCH_CLIENT_OBJECTS: small objects per run in the client mode
	clientRuns        []string        // BENCH_CLIENT_RUNS: tools in the client mode (sseguard, cli, cli-equal, sseguard-equal)
	clientScanObjects int             // BENCH_CLIENT_SCAN_OBJECTS: objects of the client mode's scan
	clientScanLatency time.Duration   // BENCH_CLIENT_SCAN_LATENCY: its added latency
	clientMemObjects  int             // BENCH_CLIENT_MEMORY_OBJECTS: objects of its memory scan (0: none)
	bin               string          // BENCH_SSEGUARD: the sseguard binary (default: built into bench/out)
	out               string          // BENCH_OUT: where results.md goes
}

// env is the environment variable name, or def when it is unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envInt is env read as an integer; anything else stops the bench.
func envInt(name string, def int) int {
	v, err := strconv.Atoi(env(name, strconv.Itoa(def)))
	if err != nil {
		fail("%s: %v", name, err)
	}
	return v
}

// load reads the configuration from the environment.
func load() config {
	lat, err := time.ParseDuration(env("BENCH_LATENCY", "100ms"))
	if err != nil {
		fail("BENCH_LATENCY: %v", err)
	}
	var planLat []time.Duration
	for _, s := range strings.Split(env("BENCH_PLAN_LATENCIES", "100ms,50ms,200ms"), ",") {
		d, err := time.ParseDuration(s)
		if err != nil {
			fail("BENCH_PLAN_LATENCIES: %v", err)
		}
		planLat = append(planLat, d)
	}
	scanLat, err := time.ParseDuration(env("BENCH_CLIENT_SCAN_LATENCY", "20ms"))
	if err != nil {
		fail("BENCH_CLIENT_SCAN_LATENCY: %v", err)
	}
	return config{
		mode:              env("BENCH_MODE", "compare"),
		objects:           envInt("BENCH_OBJECTS", 2000),
		big:               envInt("BENCH_BIG", 4),
		bigSize:           int64(envInt("BENCH_BIG_MIB", 10)) << 20,
		threshold:         int64(envInt("BENCH_THRESHOLD_MIB", 8)) << 20,
		latency:           lat,
		scenarios:         strings.Split(env("BENCH_SCENARIOS", "all,tenth"), ","),
		runs:              strings.Split(env("BENCH_RUNS", "sseguard,cli,cli-equal"), ","),
		cliConc:           envInt("BENCH_CLI_CONCURRENCY", 64),
		sseguardCon:       envInt("BENCH_SSEGUARD_CONCURRENCY", 10),
		scanObjects:       envInt("BENCH_SCAN_OBJECTS", 100000),
		planBuckets:       envInt("BENCH_PLAN_BUCKETS", 200),
		planKeys:          envInt("BENCH_PLAN_KEYS", 20),
		planLatencies:     planLat,
		clientObjects:     envInt("BENCH_CLIENT_OBJECTS", 5000),
		clientRuns:        strings.Split(env("BENCH_CLIENT_RUNS", "sseguard,cli"), ","),
		clientScanObjects: envInt("BENCH_CLIENT_SCAN_OBJECTS", 50000),
		clientScanLatency: scanLat,
		clientMemObjects:  envInt("BENCH_CLIENT_MEMORY_OBJECTS", 1000000),
		bin:               env("BENCH_SSEGUARD", ""),
		out:               env("BENCH_OUT", "bench/out"),
	}
}

// fail stops the bench with a message.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

// logf logs a line with the time of day.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// The bucket every mode uses, and the alias of the key it requires.
const (
	bucket   = "bench"
	keyAlias = "alias/bench"
)

func main() {
	cfg := load()
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		fail("%v", err)
	}
	ctx := context.Background()
	if cfg.bin == "" && cfg.mode != "ceiling" {
		cfg.bin = filepath.Join(cfg.out, "sseguard")
		logf("building %s", cfg.bin)
		build := exec.Command("go", "build", "-o", cfg.bin, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fail("go build (run the bench from the repository root): %v", err)
		}
	}
	srv, err := motoserver.Start(ctx)
	if err != nil {
		fail("%v", err)
	}
	defer srv.Stop()
	b := &bench{cfg: cfg, srv: srv, s3: s3At(srv.URL), kms: kmsAt(srv.URL)}
	b.proxy, err = newLatencyProxy(srv.URL)
	if err != nil {
		fail("%v", err)
	}
	defer b.proxy.Close()

	var report strings.Builder
	fmt.Fprintf(&report, "## sseguard vs aws s3 cp — %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&report, "Machine: %d CPUs (%s), moto %s, %s. Command: `%s`\n\n", numCPU(), cpuModel(), motoVersion(), awsVersion(), commandLine(cfg))
	switch cfg.mode {
	case "ceiling":
		b.ceiling(ctx, &report)
	case "compare":
		b.ceiling(ctx, &report)
		b.compare(ctx, &report)
	case "scan-memory":
		b.scanMemory(ctx, &report)
	case "planning":
		b.planning(ctx, &report)
	case "client":
		b.client(ctx, &report)
	default:
		fail("BENCH_MODE must be compare, client, scan-memory, planning or ceiling")
	}
	fmt.Print(report.String())
	path := filepath.Join(cfg.out, "results-"+cfg.mode+".md")
	if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
		fail("%v", err)
	}
	logf("wrote %s", path)
}
