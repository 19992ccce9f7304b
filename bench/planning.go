package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// Issue 11 §3's limits and target for planning an account.
const (
	planMaxS3PerBucket = 4
	planMaxKMSPerKey   = 3
	planTargetSpeedup  = 20.0
)

// planRun is one `sseguard plan` over the seeded account at one latency.
type planRun struct {
	source    string // moto, or replayed (moto's recorded answers)
	misses    int    // requests the recording could not answer
	latency   time.Duration
	wall, cpu time.Duration
	maxRSS    int64 // KiB
	counts    map[string]int
	perBucket map[string]int // S3 requests by bucket
	perKey    map[int]int    // KMS requests by key index (-1: a key the bench did not create)
	exit      string
}

// requests is every request the proxy saw.
func (r planRun) requests() int {
	n := 0
	for _, v := range r.counts {
		n += v
	}
	return n
}

// speedup is how much faster the run was than one serial reader making the same requests, each
// paying the added latency: requests × latency ÷ wall.
func (r planRun) speedup() float64 {
	return float64(r.requests()) * r.latency.Seconds() / r.wall.Seconds()
}

// planning is the planning mode (issue 11 §3): an account of BENCH_PLAN_BUCKETS buckets and
// BENCH_PLAN_KEYS keys seeded straight into moto, then `sseguard plan` through the proxy at each
// of BENCH_PLAN_LATENCIES, counting requests by service, by bucket and by key.
func (b *bench) planning(ctx context.Context, w io.Writer) {
	nb, nk := b.cfg.planBuckets, b.cfg.planKeys
	if nb <= 0 || nk <= 0 {
		fail("BENCH_PLAN_BUCKETS and BENCH_PLAN_KEYS must be positive")
	}
	b.reset(ctx)
	logf("planning: seeding %d keys and %d buckets", nk, nb)
	keys := make([]kmsKey, nk)
	keyIndex := map[string]int{}
	for i := range keys {
		alias := fmt.Sprintf("alias/plan-%02d", i)
		keys[i] = b.createKey(ctx, alias)
		keyIndex[alias], keyIndex[keys[i].arn], keyIndex[keys[i].id] = i, i, i
	}
	names := make([]string, nb)
	var pol strings.Builder
	pol.WriteString("version: 1\nregion: us-east-1\nbuckets:\n")
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range names {
		names[i] = fmt.Sprintf("plan-%04d", i)
		// The policy: three buckets in four must be SSE-KMS under key i%K, the fourth SSE-S3.
		if i%4 == 3 {
			fmt.Fprintf(&pol, "  - name: %s\n    encryption: sse-s3\n", names[i])
		} else {
			fmt.Fprintf(&pol, "  - name: %s\n    encryption: sse-kms\n    kms_key: alias/plan-%02d\n    bucket_key: true\n", names[i], i%nk)
		}
		g.Go(func() error { return b.seedPlanBucket(gctx, i, names[i], keys[i%nk]) })
	}
	if err := g.Wait(); err != nil {
		fail("planning: seed: %v", err)
	}

	dir, err := os.MkdirTemp("", "sseguard-bench-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	polPath := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(polPath, []byte(pol.String()), 0o644); err != nil {
		fail("%v", err)
	}

	// A first run without added latency records moto's answers; each latency then runs against
	// moto and against the recording (moto out of the way: what is left is the tool).
	tape := &planTape{answers: map[string]recorded{}}
	var runs []planRun
	run := func(lat time.Duration, source string) {
		b.proxy.SetHandle(tape.handler(b.proxy, source))
		r := b.planOnce(ctx, polPath, lat, keyIndex)
		b.proxy.SetHandle(nil)
		r.source, r.misses = source, tape.takeMisses()
		logf("planning at %s (%s): %s wall, %d requests %v, speedup %.1f×, cpu %s, max RSS %d MiB %s",
			lat, source, r.wall.Round(time.Millisecond), r.requests(), r.counts, r.speedup(), r.cpu.Round(time.Millisecond), r.maxRSS>>10, r.exit)
		runs = append(runs, r)
	}
	run(0, "moto")
	run(0, "replayed")
	for _, lat := range b.cfg.planLatencies {
		run(lat, "moto")
		run(lat, "replayed")
	}
	b.planTable(w, runs, nb, nk)
}

// recorded is one answer of moto's.
type recorded struct {
	status int
	header http.Header
	body   []byte
}

// planTape records moto's answers to the plan's requests and replays them: every request a plan
// makes is a read, answered the same way each time.
type planTape struct {
	mu      sync.Mutex
	answers map[string]recorded
	misses  int
}

// takeMisses returns the requests replay could not answer (and forwarded to moto) since the last call.
func (t *planTape) takeMisses() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.misses
	t.misses = 0
	return n
}

// handler is the proxy hook: "moto" forwards and records, "replayed" answers from the recording.
func (t *planTape) handler(p *latencyProxy, source string) func(op string, w http.ResponseWriter, r *http.Request) bool {
	return func(op string, w http.ResponseWriter, r *http.Request) bool {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return true
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// The request's identity: its operation, path, query and body (never its signature or date).
		id := op + "\n" + r.URL.Path + "?" + r.URL.RawQuery + "\n" + string(body)
		if source == "replayed" {
			t.mu.Lock()
			a, ok := t.answers[id]
			if !ok {
				t.misses++
			}
			t.mu.Unlock()
			if ok {
				for k, v := range a.header {
					w.Header()[k] = v
				}
				w.WriteHeader(a.status)
				w.Write(a.body)
				return true
			}
		}
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		res := rec.Result()
		resBody, _ := io.ReadAll(res.Body)
		t.mu.Lock()
		t.answers[id] = recorded{status: res.StatusCode, header: res.Header.Clone(), body: resBody}
		t.mu.Unlock()
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		w.Write(resBody)
		return true
	}
}

// seedPlanBucket creates bucket i of the planning account straight in moto: the live default
// encryption takes turns (none set, SSE-S3, SSE-KMS under its key by ARN), and every fifth bucket
// has a bucket policy.
func (b *bench) seedPlanBucket(ctx context.Context, i int, name string, key kmsKey) error {
	if _, err := b.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	var def *types.ServerSideEncryptionByDefault
	switch i % 3 {
	case 1:
		def = &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}
	case 2:
		def = &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(key.arn)}
	}
	if def != nil {
		if _, err := b.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(name),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: def, BucketKeyEnabled: aws.Bool(true)}}}}); err != nil {
			return fmt.Errorf("put bucket encryption %s: %w", name, err)
		}
	}
	if i%5 == 0 {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",`+
			`"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, name, name)
		if _, err := b.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(doc)}); err != nil {
			return fmt.Errorf("put bucket policy %s: %w", name, err)
		}
	}
	return nil
}

// planOnce runs `sseguard plan` through the proxy at latency and records its requests.
func (b *bench) planOnce(ctx context.Context, polPath string, latency time.Duration, keyIndex map[string]int) planRun {
	r := planRun{latency: latency, perBucket: map[string]int{}, perKey: map[int]int{}}
	var mu sync.Mutex
	b.proxy.SetRecord(func(op string, req *http.Request) {
		switch {
		case strings.HasPrefix(op, "kms:"):
			body, err := io.ReadAll(req.Body)
			req.Body.Close()
			req.Body = io.NopCloser(bytes.NewReader(body))
			var in struct{ KeyId string }
			idx := -1
			if err == nil && json.Unmarshal(body, &in) == nil {
				if i, ok := keyIndex[in.KeyId]; ok {
					idx = i
				}
			}
			mu.Lock()
			r.perKey[idx]++
			mu.Unlock()
		case strings.HasPrefix(op, "sts:"), strings.HasPrefix(op, "iam:"):
		default:
			name, _, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
			mu.Lock()
			r.perBucket[name]++
			mu.Unlock()
		}
	})
	defer b.proxy.SetRecord(nil)
	b.proxy.SetLatency(latency)
	defer b.proxy.SetLatency(0)
	b.proxy.ResetCounts()

	cmd := measuredCommand(ctx, b.cfg.bin, "plan", "--policy", polPath)
	cmd.Env = append(append(os.Environ(), b.srv.Env()...), "AWS_ENDPOINT_URL="+b.proxy.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r.wall = time.Since(start)
	r.counts = b.proxy.Counts()
	if err != nil {
		r.exit = fmt.Sprintf("(exit: %v)", err)
		logf("sseguard plan: %v\n%s", err, out.String())
	}
	r.cpu, r.maxRSS = cmd.usage()
	if err := os.WriteFile(filepath.Join(b.cfg.out, "last-planning.log"), out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	return r
}

// planTable writes the planning mode's results.
func (b *bench) planTable(w io.Writer, runs []planRun, nb, nk int) {
	fmt.Fprintf(w, "Planning an account: `sseguard plan` over **%d buckets and %d KMS keys** (3 in 4 buckets SSE-KMS, "+
		"live default encryption none / SSE-S3 / SSE-KMS in turn, a bucket policy on 1 in 5), seeded straight into moto; "+
		"the proxy adds the latency to every request. Speedup = requests × latency ÷ wall (one serial reader making the "+
		"same requests); target ≥ %.0f×. Limits: ≤ %d S3 requests per bucket, ≤ %d KMS requests per key.\n\n",
		nb, nk, planTargetSpeedup, planMaxS3PerBucket, planMaxKMSPerKey)
	fmt.Fprintln(w, "| latency | answered by | wall s | requests | S3 per bucket (mean / max) | KMS per key (mean / max) | speedup | CPU s | peak RSS MiB | met |")
	fmt.Fprintln(w, "|---:|---|---:|---|---|---|---:|---:|---:|---|")
	for _, r := range runs {
		s3n, kmsn, other := 0, 0, 0
		for op, n := range r.counts {
			switch {
			case strings.HasPrefix(op, "kms:"):
				kmsn += n
			case strings.HasPrefix(op, "sts:"), strings.HasPrefix(op, "iam:"):
				other += n
			default:
				s3n += n
			}
		}
		maxB, maxK := 0, 0
		for _, n := range r.perBucket {
			maxB = max(maxB, n)
		}
		for _, n := range r.perKey {
			maxK = max(maxK, n)
		}
		speed, met := "— (floor)", []string{}
		if r.latency > 0 {
			speed = fmt.Sprintf("**%.1f×**", r.speedup())
			met = append(met, yesNo(r.speedup() >= planTargetSpeedup, "speedup"))
		}
		met = append(met, yesNo(maxB <= planMaxS3PerBucket, "S3/bucket"), yesNo(maxK <= planMaxKMSPerKey, "KMS/key"))
		source := r.source
		if r.misses > 0 {
			source += fmt.Sprintf(" (%d not recorded, from moto)", r.misses)
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %d: S3 %d, KMS %d, other %d | %.2f / %d | %.2f / %d | %s | %.2f | %d | %s %s |\n",
			r.latency, source, r.wall.Seconds(), r.requests(), s3n, kmsn, other,
			float64(s3n)/float64(nb), maxB, float64(kmsn)/float64(nk), maxK, speed, r.cpu.Seconds(), r.maxRSS>>10, strings.Join(met, ", "), r.exit)
	}
	fmt.Fprintln(w)
}

// yesNo says whether a target was met.
func yesNo(ok bool, what string) string {
	if ok {
		return what + " yes"
	}
	return what + " **no**"
}
