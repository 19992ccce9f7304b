package observe

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// BucketsAPI lists the account's buckets. The SDK's S3 client has it; observe asks an S3 client
// for it only when the policy wants the account's other buckets reported, so that clients (and
// test doubles) of policies that do not are not required to list anything.
type BucketsAPI interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
}

// LocationAPI reads a bucket's region.
type LocationAPI interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
}

// ListedBucket is one bucket of the account's listing.
type ListedBucket struct {
	Name string
	// Region is the bucket's region: from the listing (S3 gives it), else from Locate; "" when
	// neither could tell.
	Region string
	// Err says why Locate could not read the bucket's region.
	Err string
	// Gone says Locate found the bucket deleted since it was listed.
	Gone bool
}

// listPageSize asks for pages of this many buckets. Any parameter makes S3 paginate and answer
// each bucket's region ("ListBuckets", https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html:
// BucketRegion "is included in the response" when the request "contains at least one valid
// parameter"; paginated requests are the ones S3 recommends). Emulators may ignore the page size
// and never answer BucketRegion: Locate reads the region then.
const listPageSize = 1000

// ListBuckets pages through the account's buckets whose names start with prefix ("" for all) and
// returns them sorted by name, each once, with the region the listing gives. The caller needs
// s3:ListAllMyBuckets ("ListBuckets": "To use this operation, you must have the
// s3:ListAllMyBuckets permission").
func ListBuckets(ctx context.Context, c BucketsAPI, prefix string) ([]ListedBucket, error) {
	in := &s3.ListBucketsInput{MaxBuckets: aws.Int32(listPageSize)}
	if prefix != "" {
		in.Prefix = aws.String(prefix)
	}
	var out []ListedBucket
	seen := map[string]bool{}
	pages := s3.NewListBucketsPaginator(c, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the account's buckets (s3:ListAllMyBuckets): %w", err)
		}
		for _, b := range page.Buckets {
			name := aws.ToString(b.Name)
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			out = append(out, ListedBucket{Name: name, Region: aws.ToString(b.BucketRegion)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Locate reads, with GetBucketLocation, the region of each bucket the listing gave none for and
// need keeps (nil keeps all), at most concurrency at once. owner, when set, is sent as
// ExpectedBucketOwner. A bucket whose location cannot be read keeps no region and says why in
// Err. The error is the context's.
func Locate(ctx context.Context, c LocationAPI, buckets []ListedBucket, owner string, concurrency int, need func(name string) bool) error {
	if concurrency <= 0 {
		concurrency = defaultConcurrency
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i := range buckets {
		b := &buckets[i]
		if b.Region != "" || (need != nil && !need(b.Name)) {
			continue
		}
		g.Go(func() error {
			in := &s3.GetBucketLocationInput{Bucket: aws.String(b.Name)}
			if owner != "" {
				in.ExpectedBucketOwner = aws.String(owner)
			}
			out, err := c.GetBucketLocation(gctx, in)
			switch {
			case err == nil:
				b.Region = RegionOfLocation(out.LocationConstraint)
			case awserr.Is(err, awserr.CodeNoSuchBucket, awserr.CodeNotFound):
				b.Gone = true
			case awserr.IsAccessDenied(err):
				b.Err = fmt.Sprintf("read its region: s3:GetBucketLocation was refused: %v", err)
			default:
				b.Err = fmt.Sprintf("read its region: %v", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// UnmanagedRegions are the regions whose unmanaged buckets the policy wants reported, sorted;
// nil means every region. Without regions of its own, the policy uses its home region and the
// regions of the buckets it names (as written, else as observed in st).
func UnmanagedRegions(pol *policy.Policy, homeRegion string, st *state.State) []string {
	u := pol.Unmanaged
	switch {
	case u.AllRegions:
		return nil
	case len(u.Regions) > 0:
		out := slices.Clone(u.Regions)
		sort.Strings(out)
		return out
	}
	set := map[string]bool{}
	if homeRegion != "" {
		set[homeRegion] = true
	}
	for _, b := range pol.Buckets {
		if b.Region != "" {
			set[b.Region] = true
		}
		if ob := st.Buckets[b.Name]; ob != nil && ob.Region != "" {
			set[ob.Region] = true
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// unmanaged lists the account's buckets the policy does not name, in the regions it wants, and
// reads each one's default encryption. It only reads; problems are recorded, never returned.
func (ob *Observer) unmanaged(ctx context.Context, pol *policy.Policy, st *state.State) *state.Unmanaged {
	regions := UnmanagedRegions(pol, ob.o.HomeRegion, st)
	u := &state.Unmanaged{AllRegions: regions == nil, Regions: regions, Buckets: []state.UnmanagedBucket{}}
	home := ob.c.S3(ob.o.HomeRegion)
	lister, ok := home.(BucketsAPI)
	if !ok {
		u.Err = "this S3 client cannot list buckets (ListBuckets)"
		return u
	}
	listed, err := ListBuckets(ctx, lister, "")
	if err != nil {
		u.Err = err.Error()
		return u
	}
	named := map[string]bool{}
	for _, b := range pol.Buckets {
		named[b.Name] = true
	}
	listed = slices.DeleteFunc(listed, func(b ListedBucket) bool { return named[b.Name] })
	// The region decides which client reads the bucket, so it is read even when every region is
	// listed.
	if err := Locate(ctx, home, listed, st.Account, ob.o.Concurrency, nil); err != nil {
		u.Err = fmt.Sprintf("read the buckets' regions: %v", err)
		return u
	}
	listed = slices.DeleteFunc(listed, func(b ListedBucket) bool { return b.Gone })

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ob.o.Concurrency)
	for _, b := range listed {
		if b.Region != "" && regions != nil && !slices.Contains(regions, b.Region) {
			continue
		}
		g.Go(func() error {
			ub, keep := ob.unmanagedBucket(gctx, b, st.Account)
			if keep {
				mu.Lock()
				u.Buckets = append(u.Buckets, ub)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		u.Err = err.Error()
		return u
	}
	sort.Slice(u.Buckets, func(i, j int) bool { return u.Buckets[i].Name < u.Buckets[j].Name })
	return u
}

// unmanagedBucket reads one listed bucket's default encryption; keep is false for a bucket
// deleted since it was listed.
func (ob *Observer) unmanagedBucket(ctx context.Context, b ListedBucket, owner string) (ub state.UnmanagedBucket, keep bool) {
	ub = state.UnmanagedBucket{Name: b.Name, Region: b.Region, Err: b.Err}
	if b.Region == "" {
		return ub, true
	}
	enc, err := ob.c.S3(b.Region).GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.Name), ExpectedBucketOwner: aws.String(owner)})
	switch {
	case err == nil:
		ub.Rule = ruleFrom(enc)
	case awserr.Is(err, awserr.CodeSSENotFound):
		// Never configured. AWS reports AES256 for such buckets since 2023; emulators report this.
	case awserr.Is(err, awserr.CodeNoSuchBucket):
		return ub, false
	case awserr.IsAccessDenied(err):
		ub.Err = fmt.Sprintf("read default encryption: s3:GetEncryptionConfiguration was refused: %v", err)
	default:
		ub.Err = fmt.Sprintf("read default encryption: %v", err)
	}
	return ub, true
}
