package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// Issue 11 §4's targets for the client-bound mode.
const (
	targetTenthRatio  = 3.0    // sseguard's objects/s over the CLI's, one object in ten to fix
	targetAllRatio    = 1.5    // the same, every object to fix
	targetScanRate    = 2000.0 // objects/s scanned at BENCH_CLIENT_SCAN_LATENCY (20 ms)
	targetCPURatio    = 0.2    // sseguard's CPU per object over the CLI's, at most
	targetScanRSSMiB  = 100    // peak RSS while scanning BENCH_CLIENT_MEMORY_OBJECTS, below
	clientContentBase = "bytes-of-"
)

// client is the client-bound mode (issue 11 §4): moto holds only the bench bucket's settings and
// the keys; the proxy's in-memory stand-in (memstore.go) holds and serves the objects, at the
// same added latency, so the tools are measured rather than moto. For each scenario and tool:
// a freshly seeded store, the tool through the proxy, every object checked afterwards. Then a
// scan (`sseguard plan`, report mode) at BENCH_CLIENT_SCAN_LATENCY, and the peak memory of a scan
// over BENCH_CLIENT_MEMORY_OBJECTS synthetic objects (the scan-memory mode).
func (b *bench) client(ctx context.Context, w io.Writer) {
	b.reset(ctx)
	required, other := b.createKey(ctx, keyAlias), b.createKey(ctx, "alias/bench-old")
	b.createBucket(ctx)
	var results []result
	for _, scenario := range b.cfg.scenarios {
		for _, tool := range b.cfg.clientRuns {
			store := b.seedStore(scenario, b.cfg.clientObjects, required, other)
			b.proxy.SetHandle(store.serve)
			b.proxy.SetLatency(b.cfg.latency)
			b.proxy.ResetCounts()
			logf("client %s/%s: %d objects in the stand-in, %s per request", scenario, tool, len(store.keys), b.cfg.latency)
			r := b.runTool(ctx, tool, required)
			r.scenario, r.objects, r.requests = scenario, len(store.keys), b.proxy.Counts()
			b.proxy.SetLatency(0)
			b.proxy.SetHandle(nil)
			r.bad = verifyStore(store, b.seedStore(scenario, b.cfg.clientObjects, required, other), required)
			for what, n := range store.Refused() {
				logf("client %s/%s: stand-in answered %d× %s", scenario, tool, n, what)
			}
			logf("client %s/%s: %d objects in %s (%.1f/s), cpu %s, max RSS %d MiB, requests %s, not as required: %v %s",
				scenario, tool, r.objects, r.wall.Round(time.Millisecond), r.rate(), r.cpu, r.maxRSS>>10, awstest.FormatCounts(r.requests), r.bad, r.exit)
			results = append(results, r)
		}
	}
	fmt.Fprintf(w, "Client-bound: the objects live in the proxy's in-memory stand-in (moto keeps the bucket's settings and the keys), "+
		"%d small objects (512 B–4.5 KiB) + %d of %d MiB per run, %s added to every request, both tools with their defaults.\n\n",
		b.cfg.clientObjects, b.cfg.big, b.cfg.bigSize>>20, b.cfg.latency)
	fmt.Fprintln(w, "| scenario | tool | in flight | objects/s | wall s | requests/object | CPU s /1000 obj | peak RSS MiB | not as required afterwards |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|---:|---:|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %d | %.1f | %.1f | %s | %.2f | %d | %s |\n",
			r.scenario, r.tool, r.conc, r.rate(), r.wall.Seconds(), perObject(r), r.cpuPer1000(), r.maxRSS>>10, badString(r))
	}
	fmt.Fprintln(w)

	scanRate, scanReq := b.clientScan(ctx, required, other)
	fmt.Fprintf(w, "Scan: `sseguard plan` (existing_objects: report) over %d objects in the stand-in at %s per request: **%.0f objects/s** (%s).\n\n",
		b.cfg.clientScanObjects, b.cfg.clientScanLatency, scanRate, scanReq)
	var rss int64
	var rssOK bool
	if b.cfg.clientMemObjects > 0 {
		b.cfg.scanObjects = b.cfg.clientMemObjects
		rss, rssOK = b.scanMemory(ctx, w)
	}

	find := func(scenario, tool string) *result {
		for i := range results {
			if results[i].scenario == scenario && results[i].tool == tool {
				return &results[i]
			}
		}
		return nil
	}
	fmt.Fprintln(w, "| target (issue 11 §4) | measured | met |")
	fmt.Fprintln(w, "|---|---:|---|")
	for _, c := range []struct {
		scenario string
		want     float64
	}{{"tenth", targetTenthRatio}, {"all", targetAllRatio}} {
		s, cl := find(c.scenario, "sseguard"), find(c.scenario, "cli")
		if s == nil || cl == nil {
			continue
		}
		ratio := s.rate() / cl.rate()
		fmt.Fprintf(w, "| %s: sseguard ≥ %.1f× the CLI's objects/s | %.2f× (%.1f vs %.1f) | %s |\n", c.scenario, c.want, ratio, s.rate(), cl.rate(), metString(ratio >= c.want && len(s.bad) == 0 && s.exit == ""))
		cpu := s.cpuPer1000() / cl.cpuPer1000()
		fmt.Fprintf(w, "| %s: CPU per object ≤ %.1f of the CLI's | %.2f (%.2f vs %.2f s /1000) | %s |\n", c.scenario, targetCPURatio, cpu, s.cpuPer1000(), cl.cpuPer1000(), metString(cpu <= targetCPURatio))
	}
	fmt.Fprintf(w, "| ≥ %.0f objects/s scanned at %s | %.0f | %s |\n", targetScanRate, b.cfg.clientScanLatency, scanRate, metString(scanRate >= targetScanRate))
	if b.cfg.clientMemObjects > 0 {
		fmt.Fprintf(w, "| peak RSS < %d MiB scanning %d objects | %d MiB | %s |\n", targetScanRSSMiB, b.cfg.clientMemObjects, rss>>10, metString(rss>>10 < targetScanRSSMiB && rssOK))
	}
	fmt.Fprintln(w)
}

// metString is a table cell for a target.
func metString(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// seedStore is a stand-in holding n small objects and b.cfg.big large ones, as seed does for
// moto: "all" — every object needs fixing (no encryption, SSE-S3, another key in turn); "tenth"
// — one in ten does, the rest are already under the required key.
func (b *bench) seedStore(scenario string, n int, required, other kmsKey) *memStore {
	m := newMemStore()
	total := n + b.cfg.big
	for i := 0; i < total; i++ {
		key := fmt.Sprintf("videos/%03d/segment-%06d.ts", i%97, i)
		o := memObject{
			contentType: contentTypes[i%len(contentTypes)],
			meta:        map[string]string{"episode": strconv.Itoa(i % 50), "source": "bench"},
			tags:        map[string]string{"team": "media", "tier": strconv.Itoa(i % 3)},
			size:        int64(512 + (i*7919)%4096),
		}
		if i < b.cfg.big {
			key = fmt.Sprintf("masters/master-%03d.mp4", i)
			o.size = b.cfg.bigSize
		}
		o.content = clientContentBase + key
		turn := i % 3
		if scenario == "tenth" {
			turn = (i / 10) % 3
		}
		switch {
		case scenario == "tenth" && i%10 != 0:
			o.sse, o.kmsKey = "aws:kms", required.arn
		case turn == 0:
		case turn == 1:
			o.sse = "AES256"
		default:
			o.sse, o.kmsKey = "aws:kms", other.arn
		}
		m.put(key, o)
	}
	m.sortKeys()
	return m
}

// verifyStore compares every object with what was seeded: still there, same bytes (content and
// size), content type, metadata and tags, and SSE-KMS under the required key.
func verifyStore(got, seeded *memStore, required kmsKey) map[string]int {
	bad := map[string]int{}
	for _, key := range seeded.keys {
		want := seeded.objects[key]
		o, ok := got.get(key)
		if !ok {
			bad["missing"]++
			continue
		}
		if o.content != want.content || o.size != want.size {
			bad["bytes"]++
		}
		if o.sse != "aws:kms" || (o.kmsKey != required.arn && o.kmsKey != required.id && o.kmsKey != keyAlias) {
			bad["encryption"]++
		}
		if o.contentType != want.contentType {
			bad["content-type"]++
		}
		if !maps.Equal(o.meta, want.meta) {
			bad["metadata"]++
		}
		if !maps.Equal(o.tags, want.tags) {
			bad["tags"]++
		}
	}
	if extra := len(got.keys) - len(seeded.keys); extra != 0 {
		bad["objects added"] = extra
	}
	return bad
}

// clientScan runs `sseguard plan` with existing_objects: report over a "tenth" store of
// BENCH_CLIENT_SCAN_OBJECTS objects at BENCH_CLIENT_SCAN_LATENCY and answers objects/s (wall
// time of the whole command) and its requests per object.
func (b *bench) clientScan(ctx context.Context, required, other kmsKey) (float64, string) {
	saveBig := b.cfg.big
	b.cfg.big = 0
	store := b.seedStore("tenth", b.cfg.clientScanObjects, required, other)
	b.cfg.big = saveBig
	dir, err := os.MkdirTemp("", "sseguard-bench-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	pol := filepath.Join(dir, "policy.yaml")
	body := fmt.Sprintf("version: 1\nregion: us-east-1\nbuckets:\n  - name: %s\n    encryption: sse-kms\n    kms_key: %s\n    bucket_key: false\n    existing_objects: report\n", bucket, keyAlias)
	if err := os.WriteFile(pol, []byte(body), 0o644); err != nil {
		fail("%v", err)
	}
	b.proxy.SetHandle(store.serve)
	b.proxy.SetLatency(b.cfg.clientScanLatency)
	b.proxy.ResetCounts()
	defer b.proxy.SetHandle(nil)
	defer b.proxy.SetLatency(0)
	cmd := measuredCommand(ctx, b.cfg.bin, "plan", "--policy", pol)
	cmd.Env = append(append(os.Environ(), b.srv.Env()...), "AWS_ENDPOINT_URL="+b.proxy.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	logf("client scan: sseguard plan over %d objects at %s", len(store.keys), b.cfg.clientScanLatency)
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	counts := b.proxy.Counts()
	if err != nil {
		logf("sseguard plan: %v\n%s", err, out.String())
	}
	if err := os.WriteFile(filepath.Join(b.cfg.out, "last-client-scan.log"), out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%d scanned", len(store.keys))) {
		fail("client scan: the plan does not say all %d objects were scanned (see %s/last-client-scan.log)", len(store.keys), b.cfg.out)
	}
	cpu, rss := cmd.usage()
	n := len(store.keys)
	r := result{objects: n, requests: counts, wall: wall}
	rate := float64(n) / wall.Seconds()
	logf("client scan: %d objects in %s (%.0f/s), cpu %s, max RSS %d MiB, requests %s", n, wall.Round(time.Millisecond), rate, cpu, rss>>10, awstest.FormatCounts(counts))
	ops := perObject(r)
	return rate, fmt.Sprintf("%.1f s wall, requests/object %s, CPU %.2f s /1000 objects, peak RSS %d MiB", wall.Seconds(), ops, cpu.Seconds()/float64(n)*1000, rss>>10)
}
