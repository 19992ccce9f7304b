package plan

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/state"
)

func itemsOf(c *Cost) map[string]int64 {
	out := map[string]int64{}
	for _, it := range c.Items {
		out[it.What] = it.Count
	}
	return out
}

func TestLocalCost(t *testing.T) {
	t.Parallel()
	o := &state.ObjectCounts{Scanned: 2500, Compliant: 2000,
		ToFix:        map[string]int{"sse-s3": 300, "unencrypted": 200},
		ToFixByClass: map[string]map[string]int{"sse-s3": {"STANDARD": 300}, "unencrypted": {"STANDARD_IA": 150, "STANDARD": 50}}}
	p := DefaultPrices()
	c := localCost(o, &Rule{Algorithm: AlgKMS, KeyARN: keyARN, BucketKey: true}, p)
	want := map[string]int64{
		"ListObjectsV2 pages (1,000 objects each)": 3,
		"HeadObject, one per object":               2500,
		"UpdateObjectEncryption, one per object to fix (on AWS endpoints; where S3 refuses it, a copy instead)": 300,
		"CopyObject into STANDARD":    50,
		"CopyObject into STANDARD_IA": 150,
		"KMS requests (at most: S3 Bucket Keys make S3 call KMS far less often)": 500,
	}
	if diff := cmp.Diff(want, itemsOf(c)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	total := 3*0.005/1000 + 2500*0.0004/1000 + 300*0.005/1000 + 50*0.005/1000 + 150*0.01/1000 + 500*0.03/10000
	if math.Abs(c.USD-math.Round(total*100)/100) > 1e-9 || c.AtLeast {
		t.Errorf("total $%.4f (at least %v), want $%.2f", c.USD, c.AtLeast, total)
	}
	if !strings.Contains(c.Prices, "2026-12-07") || !strings.Contains(c.Prices, "https://aws.amazon.com/s3/pricing/") {
		t.Errorf("prices line %q does not date and cite the table", c.Prices)
	}
	o.Remaining = 10
	if c := localCost(o, &Rule{Algorithm: AlgKMS}, p); !c.AtLeast {
		t.Error("a scan that stopped early gave a complete estimate")
	}
}

func TestBatchCost(t *testing.T) {
	t.Parallel()
	tl := NewBatchTally(AlgKMS, "S3 Inventory daily created today")
	tl.AddFilter("SSE-S3", "STANDARD", 1_000_000, 0)
	tl.AddFilter("NOT-SSE", "STANDARD_IA", 2000, 0)
	tl.Scanned = 3_000_000
	jobs := BatchJobsFor(AlgKMS, 0, tl, true)
	c := batchCost(jobs, tl, tl.Scanned, &Rule{Algorithm: AlgKMS, BucketKey: false}, DefaultPrices())
	want := map[string]int64{
		"Batch Operations jobs to create":               2,
		"Batch Operations object operations":            1_002_000,
		"UpdateObjectEncryption requests the jobs send": 1_000_000,
		"CopyObject into STANDARD_IA the jobs send":     2000,
		"KMS requests": 1_002_000,
		"objects listed by the jobs' manifest generators (each job lists the bucket's prefixes)": 6_000_000,
	}
	if diff := cmp.Diff(want, itemsOf(c)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if c.Basis != tl.Source || c.AtLeast {
		t.Errorf("basis %q, at least %v", c.Basis, c.AtLeast)
	}
	// Nothing counted: the per-job charge alone, and it says so.
	c = batchCost(BatchJobsFor(AlgKMS, 0, nil, true), nil, 0, &Rule{Algorithm: AlgKMS}, DefaultPrices())
	if !c.AtLeast || len(c.Items) != 1 || c.Items[0].Count != 12 || c.USD != 3 {
		t.Errorf("unknown counts: %+v", c)
	}
}

func TestReadPrices(t *testing.T) {
	t.Parallel()
	p, err := ReadPrices(strings.NewReader(`{"as_of": "2027-01-01", "region": "eu-west-1", "batch_operations_job": {"usd": 0.5, "per": 1}, "s3_write_requests": {"STANDARD": {"usd": 0.0054, "per": 1000}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.AsOf != "2027-01-01" || p.BatchJob.USD != 0.5 || p.BatchJob.Source != "prices file" || p.Write["STANDARD"].USD != 0.0054 || p.Write["STANDARD_IA"].USD != 0.01 || p.KMS.USD != 0.03 {
		t.Errorf("prices %+v", p)
	}
	for in, want := range map[string]string{
		`{"kms_requests": {"usd": -1, "per": 10000}}`:                "kms_requests",
		`{"kms_requests": {"usd": 1, "per": 0}}`:                     "kms_requests",
		`{"batch": 1}`:                                               "unknown field",
		`{"kms_requests": {"usd": 1, "per": 1, "currency": "EUR"}}`:  "unknown field",
		`{"s3_read_requests": {"STANDARD": {"usd": "1", "per": 5}}}`: "s3_read_requests.STANDARD.usd",
		`{"region": 3}`: "region",
		// Several mistakes: the first by name, every time.
		`{"region": 3, "as_of": 4}`: "prices file: as_of:",
		`not json`:                  "prices file",
		`{"s3_read_requests": {"X": {"usd": 1, "per": 5}}}`:          "s3_read_requests.X: not a storage class",
		`{"s3_write_requests": {"STANDARD": {"usd": 1, "per": -5}}}`: "s3_write_requests.STANDARD",
	} {
		if _, err := ReadPrices(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadPrices(%s): %v, want an error with %q", in, err, want)
		}
	}
	if _, err := ReadPrices(strings.NewReader(strings.Repeat(" ", MaxPricesFile+1))); err == nil {
		t.Error("an oversized prices file was read")
	}
}

func TestBatchTally(t *testing.T) {
	t.Parallel()
	tl := NewBatchTally(AlgAES256, "the check scan")
	tl.AddKind("sse-kms", "", 10)
	tl.AddKind("unencrypted", "GLACIER", 10)
	tl.AddKind("unencrypted", "REDUCED_REDUNDANCY", 10)
	tl.AddKind("dsse-kms", "STANDARD", MaxBatchCopySize+1)
	tl.AddKind("sse-s3", "STANDARD", 10) // compliant for SSE-S3: not any job's
	want := map[string]int{"S3PutObjectCopy SSE-KMS STANDARD": 1}
	if diff := cmp.Diff(want, tl.Jobs); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"GLACIER": 1, "REDUCED_REDUNDANCY": 1}, tl.NotCopyable); diff != "" {
		t.Errorf("not copyable (-want +got):\n%s", diff)
	}
	if tl.TooLarge["dsse-kms"] != 1 || tl.left(true) != 3 || tl.left(false) != 4 {
		t.Errorf("too large %v, left %d / %d", tl.TooLarge, tl.left(true), tl.left(false))
	}
}
