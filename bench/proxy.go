package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// latencyProxy is the bench's loopback proxy in front of moto: it adds a fixed latency to every
// request (real S3 is not on loopback), counts requests by operation (named as the strict layer
// names them, awstest.Operation), and lets the scan-memory mode answer requests itself.
//
// It is deliberately not the strict layer (internal/testsupport/awstest): to check If-Match, bucket policies
// and permissions the layer reads from moto on its own (a HEAD for each conditional copy, key
// lookups for each SSE-KMS write). That adds moto work to sseguard's copies that `aws s3 cp`,
// which sends no conditions, does not pay, on the very server whose capacity bounds both runs: the
// comparison would measure the layer, not the tools.
type latencyProxy struct {
	// URL is where the proxy listens, e.g. http://127.0.0.1:41234.
	URL string

	srv *httptest.Server
	rp  *httputil.ReverseProxy

	mu      sync.Mutex
	latency time.Duration
	handle  func(op string, w http.ResponseWriter, r *http.Request) bool
	record  func(op string, r *http.Request)
	counts  map[string]int
}

// newLatencyProxy starts a proxy in front of upstream. Close it when done.
func newLatencyProxy(upstream string) (*latencyProxy, error) {
	u, err := url.Parse(strings.TrimRight(upstream, "/"))
	if err != nil {
		return nil, err
	}
	p := &latencyProxy{counts: map[string]int{}}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.Transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *latencyProxy) Close() { p.srv.Close() }

// SetLatency sets the latency added to every request.
func (p *latencyProxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// SetHandle sets a hook that may answer a request itself and return true; nil removes it.
func (p *latencyProxy) SetHandle(f func(op string, w http.ResponseWriter, r *http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handle = f
}

// SetRecord sets a hook that sees every request (after its latency, before it is answered); it
// may read the body if it puts it back. nil removes it.
func (p *latencyProxy) SetRecord(f func(op string, r *http.Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.record = f
}

// Counts returns the requests seen so far, by operation.
func (p *latencyProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		m[k] = v
	}
	return m
}

// ResetCounts zeroes the counters.
func (p *latencyProxy) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

func (p *latencyProxy) serve(w http.ResponseWriter, r *http.Request) {
	op := awstest.Operation(r)
	p.mu.Lock()
	p.counts[op]++
	latency, handle, record := p.latency, p.handle, p.record
	p.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}
	if record != nil {
		record(op, r)
	}
	if handle != nil && handle(op, w, r) {
		return
	}
	p.rp.ServeHTTP(w, r)
}
