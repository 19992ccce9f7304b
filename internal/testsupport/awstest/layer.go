package awstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// UOEMode says how the layer answers UpdateObjectEncryption (PUT /bucket/key?encryption).
type UOEMode string

// UpdateObjectEncryption modes.
const (
	// UOEImplement answers it as AWS documents (the default).
	UOEImplement UOEMode = ""
	// UOENotImplemented answers 501 NotImplemented, as a server without the operation does.
	UOENotImplemented UOEMode = "not-implemented"
	// UOEPassThrough forwards it to moto unchanged: moto takes it for a PutObject and overwrites
	// the object with the request's XML, answering 200.
	UOEPassThrough UOEMode = "pass-through"
)

// Options configure a Layer. The zero value is a layer that behaves as AWS documents.
type Options struct {
	// Upstream is the URL of an already running moto_server to sit in front of. When empty, Start
	// starts a moto_server of its own and stops it on Close.
	Upstream string
	// PlainHTTP makes requests count as made over plain HTTP (aws:SecureTransport false). By
	// default they count as made over TLS, as real clients use HTTPS.
	PlainHTTP bool
	// ConsistencyDelay is how long a bucket configuration write (PutBucketEncryption,
	// PutBucketPolicy, DeleteBucketPolicy, ...) stays invisible to reads of that configuration.
	ConsistencyDelay time.Duration
	// Latency is added to every request before it is handled.
	Latency time.Duration
	// UpdateObjectEncryption selects how UpdateObjectEncryption is answered.
	UpdateObjectEncryption UOEMode
}

// Layer is a running strict layer in front of moto_server. Its methods are safe for concurrent use.
type Layer struct {
	// URL is where the layer listens, e.g. http://127.0.0.1:41234. Point AWS_ENDPOINT_URL here.
	URL string

	upstream string
	moto     *motoserver.Server // nil when the layer did not start moto itself
	srv      *http.Server
	ln       net.Listener
	rp       *httputil.ReverseProxy
	client   *http.Client

	mu        sync.Mutex
	opts      Options
	before    func(op string, r *http.Request)
	handle    func(op string, w http.ResponseWriter, r *http.Request) bool
	denyUOE   bool
	counts    map[string]int
	st        *state
	log       []Action
	seen      map[string]int
	callers   map[string]identity
	keys      *keyCache // shared with the other layers in front of the same moto
	closeOnce sync.Once
	principal map[string]string // principal ARN -> unique id, as first seen existing
	s3control map[string]string // access key id -> S3 Control endpoint (rule 13)
}

// Start starts the layer (and, unless opts.Upstream is set, a moto_server behind it). Close it
// when done.
func Start(ctx context.Context, opts Options) (*Layer, error) {
	l := &Layer{opts: opts, counts: map[string]int{}, seen: map[string]int{}, s3control: map[string]string{}}
	l.resetState()
	l.upstream = strings.TrimRight(opts.Upstream, "/")
	if l.upstream == "" {
		m, err := motoserver.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("start moto_server for the strict layer: %w", err)
		}
		l.moto = m
		l.upstream = m.URL
	}
	u, err := url.Parse(l.upstream)
	if err != nil {
		l.stopMoto()
		return nil, fmt.Errorf("parse upstream URL %q: %w", l.upstream, err)
	}
	l.keys = acquireKeyCache(l.upstream)
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second}
	l.client = &http.Client{Transport: tr}
	l.rp = httputil.NewSingleHostReverseProxy(u)
	l.rp.Transport = tr
	l.rp.ModifyResponse = modifyResponse
	l.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		writeS3Error(w, http.StatusBadGateway, "InternalError", "the strict layer could not reach moto: "+err.Error())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		releaseKeyCache(l.upstream, l.keys)
		l.stopMoto()
		return nil, fmt.Errorf("listen for the strict layer: %w", err)
	}
	l.ln = ln
	l.URL = "http://" + ln.Addr().String()
	l.srv = &http.Server{Handler: http.HandlerFunc(l.serve), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// ForTest starts a layer (with its own moto_server) for one test and closes it when the test
// ends. A missing moto_server fails the test with how to install it; it never skips.
func ForTest(tb testing.TB, opts Options) *Layer {
	tb.Helper()
	l, err := Start(context.Background(), opts)
	if err != nil {
		tb.Fatalf("the strict AWS layer is required for this test: %v", err)
	}
	tb.Cleanup(l.Close)
	return l
}

// StartMain starts one layer for a whole test package, from TestMain:
//
//	func TestMain(m *testing.M) {
//		l, stop := awstest.StartMain()
//		layer = l
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
// When moto_server is missing or does not start, it says why on stderr and exits with status 1:
// the tests fail loudly, they are never skipped.
func StartMain() (*Layer, func()) {
	l, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "the strict AWS layer is required for these tests: %v\n", err)
		os.Exit(1)
	}
	return l, l.Close
}

// Upstream returns the URL of the moto_server behind the layer, for tests that compare the two.
func (l *Layer) Upstream() string { return l.upstream }

// Env returns environment variables that point the AWS SDKs and CLI at the layer with throwaway
// credentials (access key "testing"), region us-east-1 and no configuration files.
func (l *Layer) Env() []string { return l.EnvWithKey("testing", "testing") }

// EnvWithKey is Env with the given credentials, e.g. an access key given a policy with
// SetIdentityPolicy, or one from IAM CreateAccessKey.
func (l *Layer) EnvWithKey(accessKeyID, secretAccessKey string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + l.URL,
		"AWS_ACCESS_KEY_ID=" + accessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + secretAccessKey,
		"AWS_SESSION_TOKEN=testing",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// Reset wipes moto and every piece of layer state that changes behaviour: held bucket policies,
// blocked encryption types, pending consistency delays, marked keys, identity policies, hooks,
// counts, and the options changed with setters (back to those given to Start). The action
// record is kept, so that a suite can assert on every action ever sent; ResetActions clears it.
func (l *Layer) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.upstream+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: %s", resp.Status)
	}
	l.resetState()
	return nil
}

func (l *Layer) resetState() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st = newState()
	l.before, l.handle = nil, nil
	l.denyUOE = false
	l.counts = map[string]int{}
	l.callers = map[string]identity{}
	l.principal = map[string]string{}
	if l.keys != nil {
		l.keys.clear()
	}
}

// Close stops the layer and the moto_server it started. It is safe to call more than once.
func (l *Layer) Close() {
	l.closeOnce.Do(func() { releaseKeyCache(l.upstream, l.keys) })
	if l.srv != nil {
		_ = l.srv.Close()
	}
	l.stopMoto()
}

func (l *Layer) stopMoto() {
	if l.moto != nil {
		l.moto.Stop()
	}
}

// SetBefore sets a hook called with each request's operation (see Operation) and request before
// the layer handles it. nil removes it.
func (l *Layer) SetBefore(f func(op string, r *http.Request)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.before = f
}

// SetHandle sets a hook that may answer a request itself (after Before and the latency) and
// return true; requests it leaves (false) go on as usual. nil removes it.
func (l *Layer) SetHandle(f func(op string, w http.ResponseWriter, r *http.Request) bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handle = f
}

// SetLatency changes the latency added to every request.
func (l *Layer) SetLatency(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opts.Latency = d
}

// SetConsistencyDelay changes how long bucket configuration writes stay invisible to reads.
func (l *Layer) SetConsistencyDelay(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opts.ConsistencyDelay = d
}

// SetPlainHTTP makes requests count as plain HTTP (true) or TLS (false) for aws:SecureTransport.
func (l *Layer) SetPlainHTTP(plain bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opts.PlainHTTP = plain
}

// SetUpdateObjectEncryption changes how UpdateObjectEncryption is answered.
func (l *Layer) SetUpdateObjectEncryption(m UOEMode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opts.UpdateObjectEncryption = m
}

// DenyUpdateObjectEncryption makes every UpdateObjectEncryption answer 403 AccessDenied, as AWS
// does for a caller without s3:UpdateObjectEncryption or the KMS permissions it needs, without
// writing an identity policy.
func (l *Layer) DenyUpdateObjectEncryption(deny bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.denyUOE = deny
}

func (l *Layer) options() Options {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opts
}

// Counts returns the requests seen so far, by operation.
func (l *Layer) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]int, len(l.counts))
	for k, v := range l.counts {
		m[k] = v
	}
	return m
}

// ResetCounts zeroes the counters.
func (l *Layer) ResetCounts() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts = map[string]int{}
}

// FormatCounts renders counts as "Op=n Op=n", sorted by operation.
func FormatCounts(m map[string]int) string {
	ops := make([]string, 0, len(m))
	for k := range m {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	var b strings.Builder
	for i, k := range ops {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, m[k])
	}
	return b.String()
}

// serve is the layer's handler: count, hooks, the permission check, then the rules and moto.
func (l *Layer) serve(rw http.ResponseWriter, r *http.Request) {
	w := &metaCaseWriter{ResponseWriter: rw}
	c, err := l.classify(r)
	if err != nil {
		writeS3Error(w, http.StatusBadRequest, "IncompleteBody", "the strict layer could not read the request body: "+err.Error())
		return
	}
	l.mu.Lock()
	l.counts[c.op]++
	latency, before, handle := l.opts.Latency, l.before, l.handle
	l.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	if before != nil {
		before(c.op, r)
	}
	if handle != nil && handle(c.op, w, r) {
		l.recordHooked(c)
		return
	}
	if !l.authorize(w, c) {
		return
	}
	l.dispatch(w, c)
}

var errBodyTooLarge = errors.New("request body too large for the strict layer to inspect")

// metaCaseWriter writes user-metadata header names in lower case, as S3 returns them ("Working
// with object metadata": "Amazon S3 stores user-defined metadata keys in lowercase",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html). Go's HTTP client and
// reverse proxy canonicalise header names (X-Amz-Meta-Episode), which SDKs that keep the
// header's case (boto3) would otherwise report as the key "Episode".
type metaCaseWriter struct {
	http.ResponseWriter
	wrote bool
}

func (m *metaCaseWriter) WriteHeader(code int) {
	if !m.wrote {
		m.wrote = true
		h := m.ResponseWriter.Header()
		for k, v := range h {
			if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-meta-") && lk != k {
				delete(h, k)
				h[lk] = v // a direct map key keeps its case on the wire
			}
		}
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *metaCaseWriter) Write(b []byte) (int, error) {
	if !m.wrote {
		m.WriteHeader(http.StatusOK)
	}
	return m.ResponseWriter.Write(b)
}

// Flush lets streamed answers through.
func (m *metaCaseWriter) Flush() {
	if f, ok := m.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
