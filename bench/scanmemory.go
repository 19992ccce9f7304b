package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// scanMemory measures sseguard's peak memory while it scans BENCH_SCAN_OBJECTS objects (report
// mode, `sseguard plan --json`). moto would take hours to hold and serve that many, so the proxy
// answers ListObjectsV2 and HeadObject for that one bucket itself (synthetic unencrypted objects);
// everything else (bucket settings, KMS) is moto's. It returns the peak RSS in KiB, and whether
// the plan reported every object scanned.
func (b *bench) scanMemory(ctx context.Context, w io.Writer) (maxRSS int64, allScanned bool) {
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
	cmd := measuredCommand(ctx, b.cfg.bin, "plan", "--policy", pol, "--json", jsonPath)
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
	cpu, maxRSS := cmd.usage()
	counts := b.proxy.Counts()
	fi, _ := os.Stat(jsonPath)
	var jsonSize int64
	if fi != nil {
		jsonSize = fi.Size()
	}
	scanned := strings.Contains(out.String(), fmt.Sprintf("%d scanned", n))
	logf("scan-memory: %s, max RSS %d MiB, requests %s, JSON %d MiB, all scanned: %v", wall.Round(time.Millisecond), maxRSS>>10, awstest.FormatCounts(counts), jsonSize>>20, scanned)
	fmt.Fprintf(w, "Scan memory: `sseguard plan --json` over **%d objects** (every one reported, all listed in the JSON file, %d MiB): "+
		"peak RSS **%d MiB**, %.1f s wall, CPU %.1f s (%.2f s per 1,000 objects); %d HeadObject, %d ListObjectsV2 requests; the plan reported all %d scanned: %v.\n\n",
		n, jsonSize>>20, maxRSS>>10, wall.Seconds(), cpu.Seconds(), cpu.Seconds()/float64(n)*1000,
		counts["HeadObject"], counts["ListObjectsV2"], n, scanned)
	if err := os.WriteFile(filepath.Join(b.cfg.out, "last-scan-memory.log"), out.Bytes(), 0o644); err != nil {
		fail("%v", err)
	}
	return maxRSS, scanned
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
