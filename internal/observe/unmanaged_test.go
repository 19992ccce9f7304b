package observe_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// account answers the reads of the unmanaged-bucket report from literal buckets, as "ListBuckets"
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html) documents: pages of
// MaxBuckets with a continuation token, BucketRegion only when withRegion (AWS: when the request
// has a parameter; moto: never), and AccessDenied for the calls in deny ("op bucket" or "op").
type account struct {
	withRegion bool
	pageSize   int
	buckets    map[string]acctBucket
	deny       map[string]bool
	mu         sync.Mutex
	calls      []string
}

type acctBucket struct {
	region, alg, key string
	// gone: deleted between the listing and the read.
	gone bool
}

func (a *account) call(op string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, op)
	name, _, _ := strings.Cut(op, " ")
	if a.deny[op] || a.deny[name] {
		return &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::111122223333:user/u is not authorized to perform: " + name}
	}
	return nil
}

func (a *account) S3(string) observe.S3API   { return a }
func (a *account) KMS(string) observe.KMSAPI { return nil }
func (a *account) STS() observe.STSAPI       { return a }
func (a *account) IAM() observe.IAMAPI       { return a }

func (a *account) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(fakeAccount), Arn: aws.String("arn:aws:iam::" + fakeAccount + ":user/u")}, nil
}

func (a *account) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return nil, errors.New("no principal is checked here")
}

func (a *account) GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return nil, errors.New("no principal is checked here")
}

func (a *account) ListBuckets(_ context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	if err := a.call("s3:ListAllMyBuckets"); err != nil {
		return nil, err
	}
	var names []string
	for n := range a.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	start := 0
	if t := aws.ToString(in.ContinuationToken); t != "" {
		start = slices.Index(names, t)
	}
	out := &s3.ListBucketsOutput{}
	for _, n := range names[start:] {
		if len(out.Buckets) == a.pageSize {
			out.ContinuationToken = aws.String(n)
			break
		}
		b := s3types.Bucket{Name: aws.String(n)}
		if a.withRegion {
			b.BucketRegion = aws.String(a.buckets[n].region)
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out, nil
}

func (a *account) bucket(op string, name *string) (acctBucket, error) {
	if err := a.call(op + " " + aws.ToString(name)); err != nil {
		return acctBucket{}, err
	}
	b, ok := a.buckets[aws.ToString(name)]
	if !ok || b.gone {
		return b, &smithy.GenericAPIError{Code: "NoSuchBucket"}
	}
	return b, nil
}

func (a *account) GetBucketLocation(_ context.Context, in *s3.GetBucketLocationInput, _ ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	b, err := a.bucket("s3:GetBucketLocation", in.Bucket)
	if err != nil {
		return nil, err
	}
	if aws.ToString(in.ExpectedBucketOwner) != fakeAccount {
		return nil, errors.New("no ExpectedBucketOwner")
	}
	c := s3types.BucketLocationConstraint(b.region)
	if b.region == "us-east-1" {
		c = ""
	}
	return &s3.GetBucketLocationOutput{LocationConstraint: c}, nil
}

func (a *account) GetBucketEncryption(_ context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	b, err := a.bucket("s3:GetEncryptionConfiguration", in.Bucket)
	if err != nil {
		return nil, err
	}
	if aws.ToString(in.ExpectedBucketOwner) != fakeAccount {
		return nil, errors.New("no ExpectedBucketOwner")
	}
	if b.alg == "" {
		return nil, &smithy.GenericAPIError{Code: "ServerSideEncryptionConfigurationNotFoundError"}
	}
	d := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(b.alg)}
	if b.key != "" {
		d.KMSMasterKeyID = aws.String(b.key)
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: d, BucketKeyEnabled: aws.Bool(b.key != "")}}}}, nil
}

func (a *account) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if _, err := a.bucket("s3:GetBucketPolicy", in.Bucket); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}
}

func (a *account) GetBucketReplication(_ context.Context, in *s3.GetBucketReplicationInput, _ ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error) {
	if _, err := a.bucket("s3:GetReplicationConfiguration", in.Bucket); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "ReplicationConfigurationNotFoundError"}
}

func TestUnmanagedBuckets(t *testing.T) {
	t.Parallel()
	const keyARN = "arn:aws:kms:eu-west-1:111122223333:key/abcd"
	buckets := func() map[string]acctBucket {
		return map[string]acctBucket{
			"managed":     {region: "us-east-1", alg: "AES256"},
			"plain":       {region: "us-east-1"},
			"aes":         {region: "us-east-1", alg: "AES256"},
			"kms-ireland": {region: "eu-west-1", alg: "aws:kms", key: keyARN},
			"tokyo":       {region: "ap-northeast-1", alg: "AES256"},
			"deleted":     {region: "us-east-1", gone: true},
		}
	}
	usEast := []state.UnmanagedBucket{
		{Name: "aes", Region: "us-east-1", Rule: &state.Rule{Algorithm: "AES256"}},
		{Name: "plain", Region: "us-east-1"},
	}
	ireland := state.UnmanagedBucket{Name: "kms-ireland", Region: "eu-west-1", Rule: &state.Rule{Algorithm: "aws:kms", KeyRef: keyARN, BucketKey: true}}
	tokyo := state.UnmanagedBucket{Name: "tokyo", Region: "ap-northeast-1", Rule: &state.Rule{Algorithm: "AES256"}}
	tests := map[string]struct {
		unmanaged  policy.Unmanaged
		withRegion bool
		deny       map[string]bool
		want       *state.Unmanaged
	}{
		"ignore reads nothing": {unmanaged: policy.Unmanaged{}, want: nil},
		"regions the policy uses, listing without regions (moto)": {
			unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport},
			want:      &state.Unmanaged{Regions: []string{"eu-west-1", "us-east-1"}, Buckets: []state.UnmanagedBucket{usEast[0], ireland, usEast[1]}},
		},
		"all regions, listing with regions (AWS)": {
			unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport, AllRegions: true}, withRegion: true,
			want: &state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{usEast[0], ireland, usEast[1], tokyo}},
		},
		"listed regions": {
			unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport, Regions: []string{"ap-northeast-1"}}, withRegion: true,
			want: &state.Unmanaged{Regions: []string{"ap-northeast-1"}, Buckets: []state.UnmanagedBucket{tokyo}},
		},
		"listing refused": {
			unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport}, deny: map[string]bool{"s3:ListAllMyBuckets": true},
			want: &state.Unmanaged{Regions: []string{"eu-west-1", "us-east-1"}, Buckets: []state.UnmanagedBucket{},
				Err: "list the account's buckets (s3:ListAllMyBuckets): api error AccessDenied: User: arn:aws:iam::111122223333:user/u is not authorized to perform: s3:ListAllMyBuckets"},
		},
		"one bucket unreadable, one unlocatable": {
			unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport},
			deny:      map[string]bool{"s3:GetEncryptionConfiguration aes": true, "s3:GetBucketLocation tokyo": true},
			want: &state.Unmanaged{Regions: []string{"eu-west-1", "us-east-1"}, Buckets: []state.UnmanagedBucket{
				{Name: "aes", Region: "us-east-1", Err: "read default encryption: s3:GetEncryptionConfiguration was refused: api error AccessDenied: User: arn:aws:iam::111122223333:user/u is not authorized to perform: s3:GetEncryptionConfiguration"},
				ireland, usEast[1],
				{Name: "tokyo", Err: "read its region: s3:GetBucketLocation was refused: api error AccessDenied: User: arn:aws:iam::111122223333:user/u is not authorized to perform: s3:GetBucketLocation"},
			}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &account{withRegion: tc.withRegion, pageSize: 2, buckets: buckets(), deny: tc.deny}
			pol := &policy.Policy{Unmanaged: tc.unmanaged, Buckets: []policy.Bucket{
				{Name: "managed", Encryption: policy.SSES3},
				{Name: "elsewhere", Region: "eu-west-1", Encryption: policy.SSES3},
			}}
			st, err := observe.New(a, observe.Options{HomeRegion: "us-east-1"}).Observe(context.Background(), pol)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, st.Unmanaged); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
			for _, c := range a.calls {
				if tc.want == nil && c == "s3:ListAllMyBuckets" {
					t.Errorf("unmanaged_buckets: ignore listed the account's buckets")
				}
				if strings.HasSuffix(c, " managed") && !strings.HasPrefix(c, "s3:GetBucketLocation") && !strings.HasPrefix(c, "s3:GetEncryptionConfiguration") && !strings.HasPrefix(c, "s3:GetBucketPolicy") {
					t.Errorf("unexpected call %q", c)
				}
			}
		})
	}
}

// SkipUnmanaged (reading back after apply) lists nothing even when the policy asks.
func TestUnmanagedSkipped(t *testing.T) {
	t.Parallel()
	a := &account{pageSize: 2, buckets: map[string]acctBucket{"other": {region: "us-east-1"}}}
	st, err := observe.New(a, observe.Options{HomeRegion: "us-east-1", SkipUnmanaged: true}).Observe(context.Background(),
		&policy.Policy{Unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Unmanaged != nil || slices.Contains(a.calls, "s3:ListAllMyBuckets") {
		t.Errorf("skipped report read %+v with calls %v", st.Unmanaged, a.calls)
	}
}

// A client without ListBuckets cannot report: the report says so rather than listing nothing.
func TestUnmanagedWithoutLister(t *testing.T) {
	t.Parallel()
	st, err := observe.New(&fake{}, observe.Options{HomeRegion: "us-east-1"}).Observe(context.Background(),
		&policy.Policy{Unmanaged: policy.Unmanaged{Mode: policy.UnmanagedReport}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Unmanaged == nil || !strings.Contains(st.Unmanaged.Err, "cannot list buckets") {
		t.Errorf("unmanaged = %+v, want the missing listing said", st.Unmanaged)
	}
}

// The listing pages, keeps each name once, and sorts.
func TestListBucketsPages(t *testing.T) {
	t.Parallel()
	a := &account{pageSize: 1, withRegion: true, buckets: map[string]acctBucket{"b": {region: "eu-west-1"}, "a": {region: "us-east-1"}, "c": {region: "us-east-1"}}}
	got, err := observe.ListBuckets(context.Background(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []observe.ListedBucket{{Name: "a", Region: "us-east-1"}, {Name: "b", Region: "eu-west-1"}, {Name: "c", Region: "us-east-1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListBuckets (-want +got):\n%s", diff)
	}
	if n := len(a.calls); n != 3 {
		t.Errorf("%d ListBuckets calls for 3 pages of 1", n)
	}
}
