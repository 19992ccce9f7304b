package initpolicy

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// BucketsAPI lists the account's buckets: the one S3 call init makes that plan does not.
type BucketsAPI interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
}

// AliasesAPI lists a key's aliases: the one KMS call init makes that plan does not.
type AliasesAPI interface {
	ListAliases(ctx context.Context, in *kms.ListAliasesInput, optFns ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
}

// Clients gives init its clients: observe's (every bucket and key is read the way plan reads it),
// and the two listings.
type Clients interface {
	observe.Clients
	Buckets(region string) BucketsAPI
	Aliases(region string) AliasesAPI
}

// ReadOptions say what to read.
type ReadOptions struct {
	// HomeRegion is where calls not tied to a bucket go (and the policy's region).
	HomeRegion string
	// Regions keeps only buckets in these regions; empty keeps every region.
	Regions []string
	// Buckets keeps only buckets whose name matches one of these globs (path.Match: *, ?, [a-z]);
	// empty keeps every bucket.
	Buckets []string
	// Concurrency bounds how many buckets are read at once (default 16).
	Concurrency int
}

// Check says what is wrong with the options, naming each problem by its flag.
func (o ReadOptions) Check() error {
	var errs []error
	for _, r := range o.Regions {
		if p := policy.RegionProblem(r); p != "" {
			errs = append(errs, fmt.Errorf("--region %s", p))
		}
	}
	for _, g := range o.Buckets {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("--buckets %q is not a valid glob (*, ?, [a-z])", g))
		}
	}
	return errors.Join(errs...)
}

func (o ReadOptions) wants(name string) bool {
	if len(o.Buckets) == 0 {
		return true
	}
	for _, g := range o.Buckets {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

func (o ReadOptions) inRegion(region string) bool {
	return len(o.Regions) == 0 || slices.Contains(o.Regions, region)
}

// listPrefix is the literal start every glob shares, sent as ListBuckets' Prefix so that S3
// lists only buckets that can match.
func (o ReadOptions) listPrefix() string {
	if len(o.Buckets) == 0 {
		return ""
	}
	common := ""
	for i, g := range o.Buckets {
		lit := g
		if j := strings.IndexAny(g, `*?[\`); j >= 0 {
			lit = g[:j]
		}
		if i == 0 {
			common = lit
			continue
		}
		for !strings.HasPrefix(lit, common) {
			common = common[:len(common)-1]
		}
	}
	return common
}

// ErrNoBuckets is returned when no bucket matches the options.
var ErrNoBuckets = errors.New("no bucket matched (check --buckets and --region)")

// Read lists the account's buckets, keeps those the options select, and reads each one as plan
// does (region, default encryption, bucket policy, the key its rule names with that key's policy
// and rotation status), plus the key's aliases. It writes nothing.
func Read(ctx context.Context, c Clients, o ReadOptions) (*Snapshot, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	names, err := inScope(ctx, c, o)
	if err != nil {
		return nil, err
	}
	obs := observe.New(c, observe.Options{HomeRegion: o.HomeRegion, Concurrency: o.Concurrency})
	st, err := obs.Observe(ctx, readAll(names, nil))
	if err != nil {
		return nil, err
	}
	full, err := readKeysInFull(ctx, obs, st, names)
	if err != nil {
		return nil, err
	}
	s, keys := snapshotOf(st, names, full, o)
	if len(s.Buckets) == 0 {
		return nil, ErrNoBuckets
	}
	if err := aliases(ctx, c, keys, st.Account, o.Concurrency); err != nil {
		return nil, err
	}
	return s, nil
}

// inScope lists the buckets and keeps those in the regions asked for (and those whose region is
// not known yet: observing them says).
func inScope(ctx context.Context, c Clients, o ReadOptions) ([]string, error) {
	listed, err := list(ctx, c.Buckets(o.HomeRegion), o)
	if err != nil {
		return nil, err
	}
	if err := locate(ctx, c.S3(o.HomeRegion), listed, o); err != nil {
		return nil, err
	}
	var names []string
	for _, b := range listed {
		if b.Region == "" || o.inRegion(b.Region) {
			names = append(names, b.Name)
		}
	}
	if len(names) == 0 {
		return nil, ErrNoBuckets
	}
	return names, nil
}

// readKeysInFull reads the keys of this account the rules name in full (policy, rotation) by
// observing their buckets again as SSE-KMS with that key, named by its ARN (one read per key,
// however the rules name it): exactly the reads plan makes for such an entry. A bucket that fails
// (or is gone) in that second reading is recorded in st as such. The keys are answered by ARN.
func readKeysInFull(ctx context.Context, obs *observe.Observer, st *state.State, names []string) (map[string]*state.Key, error) {
	kmsKeys := map[string]string{}
	for _, n := range names {
		ob := st.Buckets[n]
		if ob == nil || !ob.Exists || ob.Err != "" || ob.Encryption == nil || ob.Encryption.KeyRef == "" {
			continue
		}
		if k := st.Keys[state.KeyRef{Region: ob.Region, Ref: ob.Encryption.KeyRef}]; k != nil && k.Found && k.Err == "" && k.Account == st.Account {
			kmsKeys[n] = k.ARN
		}
	}
	full := map[string]*state.Key{}
	if len(kmsKeys) == 0 {
		return full, nil
	}
	st2, err := obs.Observe(ctx, readAll(sortedKeys(kmsKeys), kmsKeys))
	if err != nil {
		return nil, err
	}
	for n, b := range st2.Buckets {
		if b.Err != "" || !b.Exists {
			st.Buckets[n] = b
		}
	}
	for r, k := range st2.Keys {
		if k.Found && r.Ref == k.ARN {
			full[k.ARN] = k
		}
	}
	return full, nil
}

// snapshotOf is what init builds from: every bucket still there and in the regions asked for,
// each with its key (the one read in full when there is one, shared between buckets that use
// it), and those keys by ARN.
func snapshotOf(st *state.State, names []string, full map[string]*state.Key, o ReadOptions) (*Snapshot, map[string]*Key) {
	s := &Snapshot{Account: st.Account, Partition: st.Partition, Region: o.HomeRegion}
	keys := map[string]*Key{}
	for _, n := range names {
		ob := st.Buckets[n]
		if ob == nil || !ob.Exists {
			continue // deleted since it was listed
		}
		if !o.inRegion(ob.Region) {
			continue
		}
		b := Bucket{Name: n, Region: ob.Region, Err: ob.Err, Encryption: ob.Encryption, Policy: ob.Policy}
		if r := ob.Encryption; r != nil && r.KeyRef != "" {
			if sk := st.Keys[state.KeyRef{Region: ob.Region, Ref: r.KeyRef}]; sk != nil {
				if f := full[sk.ARN]; sk.Found && f != nil {
					sk = f
				}
				if sk.Found && keys[sk.ARN] != nil {
					b.Key = keys[sk.ARN]
				} else {
					b.Key = &Key{Key: *sk}
					if sk.Found {
						keys[sk.ARN] = b.Key
					}
				}
			}
		}
		s.Buckets = append(s.Buckets, b)
	}
	return s, keys
}

// readAll is a policy naming the buckets, for observe: SSE-S3, or SSE-KMS with the key in kms.
func readAll(names []string, kmsKeys map[string]string) *policy.Policy {
	p := &policy.Policy{Version: 1}
	for _, n := range names {
		b := policy.Bucket{Name: n, Encryption: policy.SSES3, ExistingObjects: policy.ObjectsIgnore}
		if k, ok := kmsKeys[n]; ok {
			b.Encryption, b.KMSKey = policy.SSEKMS, k
		}
		p.Buckets = append(p.Buckets, b)
	}
	return p
}

// list pages through ListBuckets (observe.ListBuckets) and keeps the buckets whose name the
// options select, with the region the listing gives (S3 does; emulators may not).
func list(ctx context.Context, c BucketsAPI, o ReadOptions) ([]observe.ListedBucket, error) {
	all, err := observe.ListBuckets(ctx, c, o.listPrefix())
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(b observe.ListedBucket) bool { return !o.wants(b.Name) }), nil
}

// locate reads the region of listed buckets the listing gave none for, when the options keep some
// regions only: the others need not be read at all. A bucket whose location cannot be read keeps
// no region and is read (and reported) with the rest.
func locate(ctx context.Context, c observe.S3API, listed []observe.ListedBucket, o ReadOptions) error {
	if len(o.Regions) == 0 {
		return nil
	}
	return observe.Locate(ctx, c, listed, "", o.Concurrency, nil)
}

// aliases lists the aliases of each key of this account. ListAliases lists only the caller's
// account ("ListAliases", https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html:
// "Cross-account use: No"; KeyId limits the answer to that key's aliases).
func aliases(ctx context.Context, c Clients, keys map[string]*Key, account string, concurrency int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	var mu sync.Mutex
	for _, k := range keys {
		if k.Account != account {
			continue
		}
		g.Go(func() error {
			var names []string
			var listErr string
			pages := kms.NewListAliasesPaginator(c.Aliases(k.Region), &kms.ListAliasesInput{KeyId: aws.String(k.ID)})
			for pages.HasMorePages() {
				page, err := pages.NextPage(gctx)
				if err != nil {
					listErr = err.Error()
					if awserr.IsAccessDenied(err) {
						listErr = "kms:ListAliases was refused: " + listErr
					}
					break
				}
				for _, a := range page.Aliases {
					names = append(names, aws.ToString(a.AliasName))
				}
			}
			mu.Lock()
			k.Aliases, k.AliasesErr = names, listErr
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
