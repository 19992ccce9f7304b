package objects

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// remainingPages bounds the listing done after a budget stop just to count what remains.
const remainingPages = 100

// prefixes returns the target's prefixes without any that another one already covers, so no
// object is listed twice.
func (t Target) prefixes() []string {
	ps := append([]string(nil), t.Prefixes...)
	sort.Strings(ps)
	var out []string
	for _, p := range ps {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// prefixParam is a listing's Prefix parameter: none for the whole bucket.
func prefixParam(p string) *string {
	if p == "" {
		return nil
	}
	return aws.String(p)
}

// list sends the objects under the target's prefixes to out, one prefix after another. Once the
// run has stopped it goes on listing (at most remainingPages pages) only to count what remains:
// those objects are tallied as not examined.
func (r *runner) list(ctx context.Context, out chan<- types.Object) error {
	afterStop := 0
	for _, p := range r.t.prefixes() {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), Prefix: prefixParam(p), MaxKeys: aws.Int32(1000)}
		pages := s3.NewListObjectsV2Paginator(r.c, in)
		for pages.HasMorePages() {
			if r.stopped() {
				if afterStop++; afterStop > remainingPages {
					r.remainingAtLeast.Store(true)
					return nil
				}
			}
			page, err := pages.NextPage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("list objects in s3://%s/%s: %w", r.t.Bucket, p, err)
			}
			for _, obj := range page.Contents {
				r.listed.Add(1)
				if r.stopped() {
					r.tally(outNotExamined, Finding{})
					continue
				}
				select {
				case out <- obj:
				case <-r.stopCh:
					r.tally(outNotExamined, Finding{})
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
	r.listingDone.Store(true)
	return nil
}

// countNoncurrent counts the noncurrent versions under the run's prefixes.
func (r *runner) countNoncurrent(ctx context.Context) (int, error) {
	n := 0
	for _, p := range r.t.prefixes() {
		in := &s3.ListObjectVersionsInput{Bucket: aws.String(r.t.Bucket), Prefix: prefixParam(p), MaxKeys: aws.Int32(1000)}
		pages := s3.NewListObjectVersionsPaginator(r.c, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return n, fmt.Errorf("list object versions in s3://%s/%s: %w", r.t.Bucket, p, err)
			}
			for _, v := range page.Versions {
				if !aws.ToBool(v.IsLatest) {
					n++
				}
			}
		}
	}
	return n, nil
}
