package objects

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		o    Options
		want []string // the options refused, in order
	}{
		"zero value":         {Options{}, nil},
		"every limit itself": {Options{Concurrency: MaxConcurrency, RequestsPerSecond: 0.5, MaxObjects: 1, MaxDuration: time.Minute, MultipartThreshold: 5 << 30, PartSize: 5 << 30, UpdateObjectEncryption: UpdateEncryptionNever}, nil},
		"each mode":          {Options{UpdateObjectEncryption: UpdateEncryptionAlways}, nil},
		"concurrency high":   {Options{Concurrency: MaxConcurrency + 1}, []string{OptionConcurrency}},
		"concurrency low":    {Options{Concurrency: -1}, []string{OptionConcurrency}},
		"rps":                {Options{RequestsPerSecond: -1}, []string{OptionRequestsPerSecond}},
		"rps NaN":            {Options{RequestsPerSecond: math.NaN()}, []string{OptionRequestsPerSecond}},
		"max objects":        {Options{MaxObjects: -5}, []string{OptionMaxObjects}},
		"max duration":       {Options{MaxDuration: -time.Second}, []string{OptionMaxDuration}},
		"threshold high":     {Options{MultipartThreshold: 5<<30 + 1}, []string{OptionMultipartThreshold}},
		"threshold low":      {Options{MultipartThreshold: -1}, []string{OptionMultipartThreshold}},
		"part size":          {Options{PartSize: 6 << 30}, []string{OptionPartSize}},
		"mode":               {Options{UpdateObjectEncryption: "sometimes"}, []string{OptionUpdateObjectEncryption}},
		"all at once": {Options{Concurrency: 5000, RequestsPerSecond: -2, MaxObjects: -1, MaxDuration: -1, MultipartThreshold: -1, PartSize: -1, UpdateObjectEncryption: "x"},
			[]string{OptionConcurrency, OptionRequestsPerSecond, OptionMaxObjects, OptionMaxDuration, OptionMultipartThreshold, OptionPartSize, OptionUpdateObjectEncryption}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.o.Validate()
			var got []string
			if err != nil {
				errs := []error{err}
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, e := range errs {
					var oe *OptionError
					if !errors.As(e, &oe) {
						t.Fatalf("%v is not an *OptionError", e)
					}
					if !strings.HasPrefix(oe.Error(), oe.Option+" ") || oe.Want == "" || oe.Value == "" {
						t.Errorf("option error %+v renders as %q", oe, oe.Error())
					}
					got = append(got, oe.Option)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("options refused (-want +got):\n%s", d)
			}
		})
	}
	// Scan and Fix refuse what Validate refuses, naming the option.
	_, err := Scan(context.Background(), &fake{}, nil, Target{Bucket: "b", Algorithm: AlgorithmAES256}, Options{Concurrency: 2000})
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != OptionConcurrency {
		t.Errorf("Scan with concurrency 2000: %v", err)
	}
}

// TestSampleIsSortedByKey: the sample holds the findings with the smallest keys, sorted, whatever
// order the objects are finished in (here the first keys finish last).
func TestSampleIsSortedByKey(t *testing.T) {
	t.Parallel()
	const n, slow = 60, 5
	f := &fake{}
	for i := 0; i < n; i++ {
		f.keys = append(f.keys, fmt.Sprintf("k%02d", i))
	}
	var others atomic.Int64
	done := make(chan struct{})
	f.head = func(key string) (*s3.HeadObjectOutput, error) {
		var i int
		fmt.Sscanf(key, "k%d", &i)
		if i < slow {
			<-done // the first keys wait until every other one has been read
		} else if others.Add(1) == n-slow {
			close(done)
		}
		return &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(10)}, nil
	}
	var order []string
	sum, err := Scan(context.Background(), f, nil, Target{Bucket: "b", Algorithm: AlgorithmAES256},
		Options{Concurrency: slow + 2, SampleSize: 8, OnFinding: func(fd Finding) { order = append(order, fd.Key) }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range sum.Sample {
		got = append(got, fd.Key)
	}
	want := []string{"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sample (-want +got):\n%s\nfindings came in this order: %v", d, order)
	}
	if order[0] == "k00" {
		t.Errorf("findings came in key order (%v): the test shows nothing", order[:8])
	}
}
