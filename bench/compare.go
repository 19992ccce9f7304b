package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// result is one tool's run over one scenario.
type result struct {
	scenario, tool string
	conc           int
	objects        int
	wall           time.Duration
	cpu            time.Duration
	maxRSS         int64 // KiB
	requests       map[string]int
	bad            map[string]int
	exit           string
}

// rate is objects per second of wall time.
func (r result) rate() float64 { return float64(r.objects) / r.wall.Seconds() }

// cpuPer1000 is CPU seconds per 1,000 objects.
func (r result) cpuPer1000() float64 { return r.cpu.Seconds() / float64(r.objects) * 1000 }

// totalRequests is the requests the proxy saw.
func (r result) totalRequests() int {
	n := 0
	for _, v := range r.requests {
		n += v
	}
	return n
}

// compare is the compare mode: for each scenario and each tool, a fresh moto, freshly seeded
// objects, the tool through the proxy, and every object checked afterwards.
func (b *bench) compare(ctx context.Context, w io.Writer) {
	var results []result
	for _, scenario := range b.cfg.scenarios {
		for _, tool := range b.cfg.runs {
			b.reset(ctx)
			required, other := b.createKey(ctx, keyAlias), b.createKey(ctx, "alias/bench-old")
			b.createBucket(ctx)
			logf("%s/%s: seeding %d objects (%d of %d MiB)", scenario, tool, b.cfg.objects+b.cfg.big, b.cfg.big, b.cfg.bigSize>>20)
			objs := b.seed(ctx, scenario, required, other)
			b.proxy.SetLatency(b.cfg.latency)
			b.proxy.ResetCounts()
			logf("%s/%s: running through the proxy (%s per request)", scenario, tool, b.cfg.latency)
			r := b.runTool(ctx, tool, required)
			r.scenario, r.objects, r.requests = scenario, len(objs), b.proxy.Counts()
			b.proxy.SetLatency(0)
			r.bad = b.verify(ctx, objs, required)
			logf("%s/%s: %d objects in %s (%.1f/s), cpu %s, max RSS %d MiB, requests %s, not as required: %v %s",
				scenario, tool, r.objects, r.wall.Round(time.Millisecond), r.rate(), r.cpu, r.maxRSS>>10, awstest.FormatCounts(r.requests), r.bad, r.exit)
			results = append(results, r)
		}
	}
	b.table(w, results)
}

// runTool runs one tool against the proxy and measures it (wall time, CPU and peak RSS of the
// child process from its rusage).
func (b *bench) runTool(ctx context.Context, tool string, required kmsKey) result {
	dir, err := os.MkdirTemp("", "sseguard-bench-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	envv := append(os.Environ(), b.srv.Env()...)
	envv = append(envv, "AWS_ENDPOINT_URL="+b.proxy.URL) // the last one wins
	r := result{tool: tool}
	var cmd *measured
	switch tool {
	case "sseguard", "sseguard-equal":
		r.conc = 64
		pol := filepath.Join(dir, "policy.yaml")
		body := fmt.Sprintf("version: 1\nregion: us-east-1\nbuckets:\n  - name: %s\n    encryption: sse-kms\n    kms_key: %s\n    bucket_key: false\n    existing_objects: reencrypt\n", bucket, keyAlias)
		if err := os.WriteFile(pol, []byte(body), 0o644); err != nil {
			fail("%v", err)
		}
		args := []string{"apply", "--policy", pol, "--multipart-threshold", strconv.FormatInt(b.cfg.threshold, 10)}
		if tool == "sseguard-equal" {
			r.conc = b.cfg.sseguardCon
			args = append(args, "--concurrency", strconv.Itoa(r.conc))
		}
		cmd = measuredCommand(ctx, b.cfg.bin, args...)
	case "cli", "cli-equal":
		// The CLI's default max_concurrent_requests is 10.
		r.conc = 10
		cfgFile := filepath.Join(dir, "config")
		conf := "[default]\nregion = us-east-1\n"
		if tool == "cli-equal" {
			r.conc = b.cfg.cliConc
			conf += fmt.Sprintf("s3 =\n    max_concurrent_requests = %d\n", r.conc)
		}
		if err := os.WriteFile(cfgFile, []byte(conf), 0o644); err != nil {
			fail("%v", err)
		}
		envv = append(envv, "AWS_CONFIG_FILE="+cfgFile)
		cmd = measuredCommand(ctx, "aws", "s3", "cp", "s3://"+bucket+"/", "s3://"+bucket+"/", "--recursive", "--sse", "aws:kms", "--sse-kms-key-id", required.arn)
	default:
		fail("unknown run %q (sseguard, sseguard-equal, cli, cli-equal)", tool)
	}
	cmd.Env = envv
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	r.wall = time.Since(start)
	if err != nil {
		r.exit = fmt.Sprintf("(exit: %v)", err)
		tail := out.String()
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		logf("%s failed: %v\n%s", tool, err, tail)
	}
	r.cpu, r.maxRSS = cmd.usage()
	if err := os.WriteFile(filepath.Join(b.cfg.out, "last-"+tool+".log"), out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	return r
}
