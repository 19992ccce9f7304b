// Command bench compares sseguard's re-encryption of existing objects with
// `aws s3 cp s3://b/ s3://b/ --recursive --sse aws:kms --sse-kms-key-id K`, against moto_server
// behind a loopback proxy that adds a fixed latency to every request (real S3 is not on loopback)
// and counts requests by operation. Run it from the repository root:
//
//	go run ./bench            # or bench/run.sh
//
// Everything is configured through environment variables (see config below and bench/README.md).
// Each run gets a freshly reset moto and freshly seeded objects; afterwards every object is read
// back and checked: required encryption, bytes, metadata, content type and tags unchanged.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/awstest"
	"github.com/sseguard/sseguard/internal/motoserver"
)

// config is read from the environment.
type config struct {
	mode        string        // BENCH_MODE: compare | scan-memory | ceiling
	objects     int           // BENCH_OBJECTS: small objects per run
	big         int           // BENCH_BIG: objects above the multipart threshold
	bigSize     int64         // BENCH_BIG_MIB: their size
	threshold   int64         // BENCH_THRESHOLD_MIB: sseguard's --multipart-threshold (the CLI's default multipart_threshold is 8 MiB)
	latency     time.Duration // BENCH_LATENCY: added to each proxied request
	scenarios   []string      // BENCH_SCENARIOS: all, tenth
	runs        []string      // BENCH_RUNS: sseguard, cli, cli-equal, sseguard-equal
	cliConc     int           // BENCH_CLI_CONCURRENCY: the CLI's max_concurrent_requests in "cli-equal"
	sseguardCon int           // BENCH_SSEGUARD_CONCURRENCY: sseguard's --concurrency in "sseguard-equal"
	scanObjects int           // BENCH_SCAN_OBJECTS: objects in the scan-memory mode
	bin         string        // BENCH_SSEGUARD: the sseguard binary (default: built into bench/out)
	out         string        // BENCH_OUT: where results.md goes
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	v, err := strconv.Atoi(env(name, strconv.Itoa(def)))
	if err != nil {
		fail("%s: %v", name, err)
	}
	return v
}

func load() config {
	lat, err := time.ParseDuration(env("BENCH_LATENCY", "100ms"))
	if err != nil {
		fail("BENCH_LATENCY: %v", err)
	}
	return config{
		mode:        env("BENCH_MODE", "compare"),
		objects:     envInt("BENCH_OBJECTS", 2000),
		big:         envInt("BENCH_BIG", 4),
		bigSize:     int64(envInt("BENCH_BIG_MIB", 10)) << 20,
		threshold:   int64(envInt("BENCH_THRESHOLD_MIB", 8)) << 20,
		latency:     lat,
		scenarios:   strings.Split(env("BENCH_SCENARIOS", "all,tenth"), ","),
		runs:        strings.Split(env("BENCH_RUNS", "sseguard,cli,cli-equal"), ","),
		cliConc:     envInt("BENCH_CLI_CONCURRENCY", 64),
		sseguardCon: envInt("BENCH_SSEGUARD_CONCURRENCY", 10),
		scanObjects: envInt("BENCH_SCAN_OBJECTS", 100000),
		bin:         env("BENCH_SSEGUARD", ""),
		out:         env("BENCH_OUT", "bench/out"),
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

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
	default:
		fail("BENCH_MODE must be compare, scan-memory or ceiling")
	}
	fmt.Print(report.String())
	path := filepath.Join(cfg.out, "results-"+cfg.mode+".md")
	if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
		fail("%v", err)
	}
	logf("wrote %s", path)
}

type bench struct {
	cfg   config
	srv   *motoserver.Server
	proxy *latencyProxy
	s3    *s3.Client
	kms   *kms.Client
	// ceilings measured directly against moto, requests per second.
	headCeil, copyCeil float64
}

var creds = credentials.NewStaticCredentialsProvider("testing", "testing", "testing")

func s3At(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Credentials: creds,
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
		}),
	})
}

func kmsAt(endpoint string) *kms.Client {
	return kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
}

// ceiling measures moto itself: HeadObject and CopyObject (onto itself, to SSE-KMS) per second at
// 32 in flight, without the proxy.
func (b *bench) ceiling(ctx context.Context, w io.Writer) {
	b.reset(ctx)
	key := b.createKey(ctx, keyAlias)
	b.createBucket(ctx)
	const n = 200
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := 0; i < n; i++ {
		g.Go(func() error {
			_, err := b.s3.PutObject(gctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("c/%d", i)), Body: bytes.NewReader(make([]byte, 1024))})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		fail("seed ceiling objects: %v", err)
	}
	rate := func(op func(i int) error) float64 {
		var count atomic.Int64
		start := time.Now()
		g, _ := errgroup.WithContext(ctx)
		for w := 0; w < 32; w++ {
			g.Go(func() error {
				for time.Since(start) < 3*time.Second {
					if err := op(int(count.Add(1)) % n); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			fail("ceiling: %v", err)
		}
		return float64(count.Load()) / time.Since(start).Seconds()
	}
	b.headCeil = rate(func(i int) error {
		_, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("c/%d", i))})
		return err
	})
	b.copyCeil = rate(func(i int) error {
		k := fmt.Sprintf("c/%d", i)
		_, err := b.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), CopySource: aws.String(bucket + "/" + k),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(key.arn), MetadataDirective: types.MetadataDirectiveCopy})
		return err
	})
	logf("moto ceiling: %.0f HeadObject/s, %.0f CopyObject/s", b.headCeil, b.copyCeil)
	fmt.Fprintf(w, "moto's own ceiling on this machine (direct, 32 in flight, no added latency): **%.0f HeadObject/s, %.0f CopyObject/s**.\n\n", b.headCeil, b.copyCeil)
}

type kmsKey struct{ id, arn string }

func (b *bench) reset(ctx context.Context) {
	if err := b.srv.Reset(ctx); err != nil {
		fail("%v", err)
	}
}

func (b *bench) createKey(ctx context.Context, alias string) kmsKey {
	out, err := b.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(alias)})
	if err != nil {
		fail("create key: %v", err)
	}
	if _, err := b.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		fail("create alias: %v", err)
	}
	return kmsKey{id: aws.ToString(out.KeyMetadata.KeyId), arn: aws.ToString(out.KeyMetadata.Arn)}
}

// createBucket makes the bench bucket with ACLs disabled (Object Ownership BucketOwnerEnforced),
// the default for new buckets since April 2023.
func (b *bench) createBucket(ctx context.Context) {
	if _, err := b.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		fail("create bucket: %v", err)
	}
}

// object is one seeded object and what it must still be afterwards.
type object struct {
	key, contentType, sum string
	size                  int64
	meta, tags            map[string]string
	sse                   types.ServerSideEncryption
	kmsKey                string
	needsFix              bool
}

var contentTypes = []string{"video/mp2t", "application/x-mpegURL", "video/mp4", "image/jpeg", "application/json", "text/plain"}

// seed uploads the objects of a scenario straight to moto: "all" — every object needs fixing
// (no encryption, SSE-S3, another KMS key in turn); "tenth" — one in ten does, the rest are
// already under the required key.
func (b *bench) seed(ctx context.Context, scenario string, required, other kmsKey) []object {
	n := b.cfg.objects + b.cfg.big
	objs := make([]object, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range objs {
		o := object{
			key:         fmt.Sprintf("videos/%03d/segment-%06d.ts", i%97, i),
			contentType: contentTypes[i%len(contentTypes)],
			meta:        map[string]string{"episode": strconv.Itoa(i % 50), "source": "bench"},
			tags:        map[string]string{"team": "media", "tier": strconv.Itoa(i % 3)},
			size:        int64(512 + (i*7919)%4096),
		}
		if i < b.cfg.big {
			o.key = fmt.Sprintf("masters/master-%03d.mp4", i)
			o.size = b.cfg.bigSize
		}
		// Which of the three non-compliant kinds: the objects that need fixing take turns.
		turn := i % 3
		if scenario == "tenth" {
			turn = (i / 10) % 3
		}
		switch {
		case scenario == "tenth" && i%10 != 0:
			o.sse, o.kmsKey = types.ServerSideEncryptionAwsKms, required.arn
		case turn == 0:
			o.needsFix = true
		case turn == 1:
			o.sse, o.needsFix = types.ServerSideEncryptionAes256, true
		default:
			o.sse, o.kmsKey, o.needsFix = types.ServerSideEncryptionAwsKms, other.arn, true
		}
		body := make([]byte, o.size)
		rand.Read(body)
		h := sha256.Sum256(body)
		o.sum = hex.EncodeToString(h[:])
		objs[i] = o
		g.Go(func() error {
			in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(body),
				ContentType: aws.String(o.contentType), Metadata: o.meta, Tagging: aws.String(tagging(o.tags)), ServerSideEncryption: o.sse}
			if o.kmsKey != "" {
				in.SSEKMSKeyId = aws.String(o.kmsKey)
			}
			_, err := b.s3.PutObject(gctx, in)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		fail("seed: %v", err)
	}
	return objs
}

func tagging(tags map[string]string) string {
	var parts []string
	for k, v := range tags {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

// verify reads every object back (straight from moto) and counts what is not as required.
func (b *bench) verify(ctx context.Context, objs []object, required kmsKey) map[string]int {
	bad := map[string]int{}
	var mu sync.Mutex
	note := func(what string) { mu.Lock(); bad[what]++; mu.Unlock() }
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for _, o := range objs {
		g.Go(func() error {
			out, err := b.s3.GetObject(gctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key)})
			if err != nil {
				note("missing")
				return nil
			}
			h := sha256.New()
			_, err = io.Copy(h, out.Body)
			out.Body.Close()
			if err != nil {
				return err
			}
			if hex.EncodeToString(h.Sum(nil)) != o.sum {
				note("bytes")
			}
			if k := aws.ToString(out.SSEKMSKeyId); out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || (k != required.arn && k != required.id && k != keyAlias) {
				note("encryption")
			}
			if aws.ToString(out.ContentType) != o.contentType {
				note("content-type")
			}
			if !maps.Equal(out.Metadata, o.meta) {
				note("metadata")
			}
			tags, err := b.s3.GetObjectTagging(gctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(o.key)})
			if err != nil {
				return err
			}
			got := map[string]string{}
			for _, t := range tags.TagSet {
				got[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !maps.Equal(got, o.tags) {
				note("tags")
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		fail("verify: %v", err)
	}
	return bad
}

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

func (r result) rate() float64 { return float64(r.objects) / r.wall.Seconds() }

func (r result) cpuPer1000() float64 { return r.cpu.Seconds() / float64(r.objects) * 1000 }

func (r result) totalRequests() int {
	n := 0
	for _, v := range r.requests {
		n += v
	}
	return n
}

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
	var cmd *exec.Cmd
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
		cmd = exec.CommandContext(ctx, b.cfg.bin, args...)
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
		cmd = exec.CommandContext(ctx, "aws", "s3", "cp", "s3://"+bucket+"/", "s3://"+bucket+"/", "--recursive", "--sse", "aws:kms", "--sse-kms-key-id", required.arn)
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
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.maxRSS = ru.Maxrss
	}
	if err := os.WriteFile(filepath.Join(b.cfg.out, "last-"+tool+".log"), out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	return r
}

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

// scanMemory measures sseguard's peak memory while it scans BENCH_SCAN_OBJECTS objects (report
// mode, `sseguard plan --json`). moto would take hours to hold and serve that many, so the proxy
// answers ListObjectsV2 and HeadObject for that one bucket itself (synthetic unencrypted objects);
// everything else (bucket settings, KMS) is moto's.
func (b *bench) scanMemory(ctx context.Context, w io.Writer) {
	n := b.cfg.scanObjects
	b.reset(ctx)
	b.createKey(ctx, keyAlias)
	b.createBucket(ctx)
	b.proxy.SetLatency(0)
	b.proxy.SetHandle(func(op string, rw http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/"+bucket) {
			return false
		}
		switch op {
		case "ListObjectsV2":
			syntheticList(rw, r, n)
			return true
		case "HeadObject":
			rw.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
			rw.Header().Set("Content-Length", "1024")
			rw.Header().Set("Content-Type", "video/mp2t")
			rw.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
			rw.WriteHeader(http.StatusOK)
			return true
		}
		return false
	})
	defer b.proxy.SetHandle(nil)
	b.proxy.ResetCounts()
	dir, err := os.MkdirTemp("", "sseguard-bench-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	pol := filepath.Join(dir, "policy.yaml")
	body := fmt.Sprintf("version: 1\nregion: us-east-1\nbuckets:\n  - name: %s\n    encryption: sse-kms\n    kms_key: %s\n    existing_objects: report\n", bucket, keyAlias)
	if err := os.WriteFile(pol, []byte(body), 0o644); err != nil {
		fail("%v", err)
	}
	jsonPath := filepath.Join(dir, "plan.json")
	cmd := exec.CommandContext(ctx, b.cfg.bin, "plan", "--policy", pol, "--json", jsonPath)
	cmd.Env = append(append(os.Environ(), b.srv.Env()...), "AWS_ENDPOINT_URL="+b.proxy.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	logf("scan-memory: sseguard plan over %d objects", n)
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil && cmd.ProcessState.ExitCode() != 2 {
		logf("sseguard plan: %v\n%s", err, out.String())
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	counts := b.proxy.Counts()
	fi, _ := os.Stat(jsonPath)
	var jsonSize int64
	if fi != nil {
		jsonSize = fi.Size()
	}
	scanned := strings.Contains(out.String(), fmt.Sprintf("%d scanned", n))
	logf("scan-memory: %s, max RSS %d MiB, requests %s, JSON %d MiB, all scanned: %v", wall.Round(time.Millisecond), ru.Maxrss>>10, awstest.FormatCounts(counts), jsonSize>>20, scanned)
	fmt.Fprintf(w, "Scan memory: `sseguard plan --json` over **%d objects** (every one reported, all listed in the JSON file, %d MiB): "+
		"peak RSS **%d MiB**, %.1f s wall, CPU %.1f s (%.2f s per 1,000 objects); %d HeadObject, %d ListObjectsV2 requests; the plan reported all %d scanned: %v.\n\n",
		n, jsonSize>>20, ru.Maxrss>>10, wall.Seconds(), float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9, float64(ru.Utime.Nano()+ru.Stime.Nano())/1e9/float64(n)*1000,
		counts["HeadObject"], counts["ListObjectsV2"], n, scanned)
	if err := os.WriteFile(filepath.Join(b.cfg.out, "last-scan-memory.log"), out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
}

// syntheticList answers ListObjectsV2 for n synthetic keys, 1,000 a page (continuation token: the
// next index).
func syntheticList(w http.ResponseWriter, r *http.Request, n int) {
	q := r.URL.Query()
	from, _ := strconv.Atoi(q.Get("continuation-token"))
	maxKeys := 1000
	if m, err := strconv.Atoi(q.Get("max-keys")); err == nil && m > 0 && m < maxKeys {
		maxKeys = m
	}
	to := int(math.Min(float64(n), float64(from+maxKeys)))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	fmt.Fprintf(&b, "<Name>%s</Name><Prefix></Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>", bucket, to-from, maxKeys)
	if to < n {
		fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><NextContinuationToken>%d</NextContinuationToken>", to)
	} else {
		b.WriteString("<IsTruncated>false</IsTruncated>")
	}
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, `<Contents><Key>videos/%03d/segment-%07d.ts</Key><LastModified>2006-01-02T15:04:05.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag><Size>1024</Size><StorageClass>STANDARD</StorageClass></Contents>`, i%97, i)
	}
	b.WriteString("</ListBucketResult>")
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, b.String())
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}

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

func motoVersion() string {
	out, err := exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func awsVersion() string {
	out, err := exec.Command("aws", "--version").CombinedOutput()
	if err != nil {
		return "aws CLI ?"
	}
	return strings.Fields(string(out))[0]
}

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
