package initpolicy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/observe"
)

// fakeAccount answers init's reads from literal buckets and keys, as AWS documents each call. It
// has no write method: the interfaces init reads through have none either.
type fakeAccount struct {
	// withRegion: ListBuckets answers BucketRegion (AWS does; emulators may not).
	withRegion bool
	pageSize   int
	buckets    map[string]fakeBucket
	keys       map[string]fakeKey // by key id
	deny       map[string]bool    // IAM actions refused
	mu         sync.Mutex
	calls      []string
}

type fakeBucket struct {
	region string
	alg    string
	key    string
	policy string
}

type fakeKey struct {
	account, region, manager string
	rotation                 bool
	policy                   string
	aliases                  []string
}

func (f *fakeAccount) call(action string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action)
	if f.deny[action] {
		code := "AccessDenied"
		if strings.HasPrefix(action, "kms:") {
			code = "AccessDeniedException"
		}
		return &smithy.GenericAPIError{Code: code, Message: "not authorized to perform " + action}
	}
	return nil
}

func (f *fakeAccount) S3(string) observe.S3API          { return f }
func (f *fakeAccount) KMS(string) observe.KMSAPI        { return f }
func (f *fakeAccount) STS() observe.STSAPI              { return f }
func (f *fakeAccount) IAM() observe.IAMAPI              { return f }
func (f *fakeAccount) Buckets(string) BucketsAPI        { return f }
func (f *fakeAccount) Aliases(region string) AliasesAPI { return f }

func (f *fakeAccount) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(home), Arn: aws.String("arn:aws:iam::" + home + ":user/init")}, nil
}

func (f *fakeAccount) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return nil, errors.New("init checks no principal")
}

func (f *fakeAccount) GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return nil, errors.New("init checks no principal")
}

// ListBuckets pages by name with an opaque continuation token, filters by Prefix, and answers
// BucketRegion only when asked to (withRegion) ("ListBuckets",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html).
func (f *fakeAccount) ListBuckets(_ context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	if err := f.call("s3:ListAllMyBuckets"); err != nil {
		return nil, err
	}
	names := sortedKeys(f.buckets)
	start := 0
	if t := aws.ToString(in.ContinuationToken); t != "" {
		start = slices.Index(names, strings.TrimPrefix(t, "token-"))
	}
	out := &s3.ListBucketsOutput{}
	for _, n := range names[start:] {
		if !strings.HasPrefix(n, aws.ToString(in.Prefix)) {
			continue
		}
		if len(out.Buckets) == f.pageSize {
			out.ContinuationToken = aws.String("token-" + n)
			break
		}
		b := s3types.Bucket{Name: aws.String(n)}
		if f.withRegion {
			b.BucketRegion = aws.String(f.buckets[n].region)
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out, nil
}

func (f *fakeAccount) bucket(name *string, action string) (fakeBucket, error) {
	if err := f.call(action + " " + aws.ToString(name)); err != nil {
		return fakeBucket{}, err
	}
	b, ok := f.buckets[aws.ToString(name)]
	if !ok {
		return b, &smithy.GenericAPIError{Code: "NoSuchBucket"}
	}
	return b, nil
}

func (f *fakeAccount) GetBucketLocation(_ context.Context, in *s3.GetBucketLocationInput, _ ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	b, err := f.bucket(in.Bucket, "s3:GetBucketLocation")
	if err != nil {
		return nil, err
	}
	c := s3types.BucketLocationConstraint(b.region)
	if b.region == "us-east-1" {
		c = ""
	}
	return &s3.GetBucketLocationOutput{LocationConstraint: c}, nil
}

func (f *fakeAccount) GetBucketEncryption(_ context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	b, err := f.bucket(in.Bucket, "s3:GetEncryptionConfiguration")
	if err != nil {
		return nil, err
	}
	d := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(b.alg)}
	if b.key != "" {
		d.KMSMasterKeyID = aws.String(b.key)
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: d, BucketKeyEnabled: aws.Bool(b.key != ""),
			BlockedEncryptionTypes: &s3types.BlockedEncryptionTypes{EncryptionType: []s3types.EncryptionType{"SSE-C"}}}}}}, nil
}

func (f *fakeAccount) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	b, err := f.bucket(in.Bucket, "s3:GetBucketPolicy")
	if err != nil {
		return nil, err
	}
	if b.policy == "" {
		return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}
	}
	return &s3.GetBucketPolicyOutput{Policy: aws.String(b.policy)}, nil
}

func (f *fakeAccount) GetBucketReplication(_ context.Context, in *s3.GetBucketReplicationInput, _ ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error) {
	if _, err := f.bucket(in.Bucket, "s3:GetReplicationConfiguration"); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "ReplicationConfigurationNotFoundError"}
}

// key finds a key by id, ARN, alias name or alias ARN.
func (f *fakeAccount) key(ref string) (string, fakeKey, bool) {
	for id, k := range f.keys {
		if ref == id || ref == keyARNIn(k.region, k.account, id) {
			return id, k, true
		}
		for _, a := range k.aliases {
			if ref == a || ref == fmt.Sprintf("arn:aws:kms:%s:%s:%s", k.region, k.account, a) {
				return id, k, true
			}
		}
	}
	return "", fakeKey{}, false
}

func (f *fakeAccount) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if err := f.call("kms:DescribeKey"); err != nil {
		return nil, err
	}
	id, k, ok := f.key(aws.ToString(in.KeyId))
	if !ok {
		return nil, &kmstypes.NotFoundException{Message: aws.String("not found")}
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{KeyId: aws.String(id), Arn: aws.String(keyARNIn(k.region, k.account, id)),
		AWSAccountId: aws.String(k.account), KeyState: kmstypes.KeyStateEnabled, KeyManager: kmstypes.KeyManagerType(k.manager),
		KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, Origin: kmstypes.OriginTypeAwsKms}}, nil
}

func (f *fakeAccount) GetKeyPolicy(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	if err := f.call("kms:GetKeyPolicy"); err != nil {
		return nil, err
	}
	_, k, _ := f.key(aws.ToString(in.KeyId))
	return &kms.GetKeyPolicyOutput{Policy: aws.String(k.policy)}, nil
}

func (f *fakeAccount) GetKeyRotationStatus(_ context.Context, in *kms.GetKeyRotationStatusInput, _ ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error) {
	if err := f.call("kms:GetKeyRotationStatus"); err != nil {
		return nil, err
	}
	_, k, _ := f.key(aws.ToString(in.KeyId))
	return &kms.GetKeyRotationStatusOutput{KeyRotationEnabled: k.rotation}, nil
}

// ListAliases answers one alias per page, to exercise pagination (Truncated, NextMarker).
func (f *fakeAccount) ListAliases(_ context.Context, in *kms.ListAliasesInput, _ ...func(*kms.Options)) (*kms.ListAliasesOutput, error) {
	if err := f.call("kms:ListAliases"); err != nil {
		return nil, err
	}
	_, k, _ := f.key(aws.ToString(in.KeyId))
	i := 0
	if m := aws.ToString(in.Marker); m != "" {
		fmt.Sscan(m, &i)
	}
	out := &kms.ListAliasesOutput{}
	if i < len(k.aliases) {
		out.Aliases = []kmstypes.AliasListEntry{{AliasName: aws.String(k.aliases[i])}}
	}
	if i+1 < len(k.aliases) {
		out.Truncated, out.NextMarker = true, aws.String(fmt.Sprint(i+1))
	}
	return out, nil
}

func newFakeAccount(t *testing.T) *fakeAccount {
	return &fakeAccount{pageSize: 2, deny: map[string]bool{},
		buckets: map[string]fakeBucket{
			"media-a":   {region: "us-east-1", alg: "aws:kms", key: keyARN(home, "1111aaaa-1111-1111-1111-111111111111")},
			"media-b":   {region: "eu-west-1", alg: "AES256", policy: bucketPolicy(t, bucketSpecAES("media-b"))},
			"media-c":   {region: "us-east-1", alg: "aws:kms", key: "alias/media"},
			"media-d":   {region: "us-east-1", alg: "aws:kms", key: keyARN(foreign, "8888aaaa-8888-8888-8888-888888888888")},
			"other-one": {region: "us-east-1", alg: "AES256"},
		},
		keys: map[string]fakeKey{
			"1111aaaa-1111-1111-1111-111111111111": {account: home, region: "us-east-1", manager: "CUSTOMER", rotation: true,
				policy: keyPolicy(t, role("Transcoder")), aliases: []string{"alias/media", "alias/media-old", "alias/media-older"}},
			"8888aaaa-8888-8888-8888-888888888888": {account: foreign, region: "us-east-1", manager: "CUSTOMER"},
		}}
}

func TestRead(t *testing.T) {
	for name, tc := range map[string]struct {
		opts       ReadOptions
		withRegion bool
		want       []string
	}{
		"every bucket":                      {want: []string{"media-a", "media-b", "media-c", "media-d", "other-one"}},
		"glob":                              {opts: ReadOptions{Buckets: []string{"media-*"}}, want: []string{"media-a", "media-b", "media-c", "media-d"}},
		"two globs":                         {opts: ReadOptions{Buckets: []string{"media-[ab]", "other-*"}}, want: []string{"media-a", "media-b", "other-one"}},
		"region from the listing":           {opts: ReadOptions{Regions: []string{"eu-west-1"}}, withRegion: true, want: []string{"media-b"}},
		"region from GetBucketLocation":     {opts: ReadOptions{Regions: []string{"eu-west-1"}}, want: []string{"media-b"}},
		"regions and globs":                 {opts: ReadOptions{Regions: []string{"us-east-1", "eu-west-1"}, Buckets: []string{"*-a", "*-b"}}, want: []string{"media-a", "media-b"}},
		"no region given, none read before": {opts: ReadOptions{Buckets: []string{"media-a"}}, want: []string{"media-a"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAccount(t)
			f.withRegion = tc.withRegion
			tc.opts.HomeRegion = "us-east-1"
			s, err := Read(context.Background(), f, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range s.Buckets {
				got = append(got, b.Name)
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("buckets read (-want +got):\n%s", diff)
			}
			for _, c := range f.calls {
				if strings.Contains(c, " ") && !slices.Contains(tc.want, c[strings.Index(c, " ")+1:]) &&
					!(strings.HasPrefix(c, "s3:GetBucketLocation ") && len(tc.opts.Regions) > 0 && !tc.withRegion) {
					t.Errorf("%s: read a bucket out of scope", c)
				}
			}
			if s.Account != home || s.Partition != "aws" || s.Region != "us-east-1" {
				t.Errorf("snapshot account %q partition %q region %q", s.Account, s.Partition, s.Region)
			}
		})
	}
}

func TestReadKeys(t *testing.T) {
	f := newFakeAccount(t)
	s, err := Read(context.Background(), f, ReadOptions{HomeRegion: "us-east-1", Buckets: []string{"media-*"}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Bucket{}
	for _, b := range s.Buckets {
		by[b.Name] = b
	}
	a, c, d := by["media-a"], by["media-c"], by["media-d"]
	if a.Key == nil || c.Key == nil || a.Key != c.Key {
		t.Fatalf("the key media-a names by ARN and media-c by alias should be read once, as one key: %+v %+v", a.Key, c.Key)
	}
	k := a.Key
	if diff := cmp.Diff([]string{"alias/media", "alias/media-old", "alias/media-older"}, k.Aliases); diff != "" {
		t.Errorf("aliases, over three pages (-want +got):\n%s", diff)
	}
	if k.Policy == "" || k.Rotation == nil || !*k.Rotation || c.Encryption.KeyRef != "alias/media" || c.Encryption.KeyARN != k.ARN {
		t.Errorf("key policy %q rotation %v; rule %+v", k.Policy, k.Rotation, c.Encryption)
	}
	if d.Key == nil || d.Key.Account != foreign || d.Key.Policy != "" || d.Key.Aliases != nil {
		t.Errorf("a key of another account is described only: %+v", d.Key)
	}
	if got := by["media-b"].Encryption; got == nil || got.Algorithm != "AES256" || by["media-b"].Policy == "" {
		t.Errorf("media-b = %+v", by["media-b"])
	}
	// One key of this account: its policy is read once, however many buckets name it (keys of
	// another account are described only: KMS answers the rest for the caller's account only).
	n := 0
	for _, c := range f.calls {
		if c == "kms:GetKeyPolicy" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("kms:GetKeyPolicy called %d times, want once (one key of this account)", n)
	}
	res, err := Build(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inSync(t, s, res.YAML)
}

func TestReadErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		deny    string
		opts    ReadOptions
		wantErr string
		// check looks at the snapshot when Read succeeds.
		check func(*testing.T, *Snapshot)
	}{
		"listing refused": {deny: "s3:ListAllMyBuckets", wantErr: "list the account's buckets (s3:ListAllMyBuckets)"},
		"nothing matches": {opts: ReadOptions{Buckets: []string{"nothing-*"}}, wantErr: ErrNoBuckets.Error()},
		"bad glob":        {opts: ReadOptions{Buckets: []string{"media-["}}, wantErr: `--buckets "media-[" is not a valid glob`},
		"bad region":      {opts: ReadOptions{Regions: []string{"Europe"}}, wantErr: `--region "Europe" is not a region name`},
		"one bucket unreadable": {deny: "s3:GetEncryptionConfiguration media-b", check: func(t *testing.T, s *Snapshot) {
			for _, b := range s.Buckets {
				if (b.Name == "media-b") != (b.Err != "") {
					t.Errorf("%s: error %q", b.Name, b.Err)
				}
			}
		}},
		"aliases refused": {deny: "kms:ListAliases", check: func(t *testing.T, s *Snapshot) {
			for _, b := range s.Buckets {
				if b.Name == "media-a" && (b.Key == nil || !strings.Contains(b.Key.AliasesErr, "kms:ListAliases was refused")) {
					t.Errorf("media-a key %+v", b.Key)
				}
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAccount(t)
			f.deny[tc.deny] = true
			tc.opts.HomeRegion = "us-east-1"
			s, err := Read(context.Background(), f, tc.opts)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				tc.check(t, s)
			}
		})
	}
}

func TestListPrefix(t *testing.T) {
	for globs, want := range map[string]string{
		"":                    "",
		"media-*":             "media-",
		"media-a,media-b":     "media-",
		"media-*,masters-?":   "m",
		"media-*,other-*":     "",
		"[a-z]*":              "",
		"exact-name":          "exact-name",
		`media-\*,media-abc*`: "media-",
	} {
		var o ReadOptions
		if globs != "" {
			o.Buckets = strings.Split(globs, ",")
		}
		if got := o.listPrefix(); got != want {
			t.Errorf("listPrefix(%q) = %q, want %q", globs, got, want)
		}
	}
}

func bucketSpecAES(bucket string) iampolicy.BucketSpec {
	return iampolicy.BucketSpec{Bucket: bucket, Algorithm: algAES256, EnforceOnUpload: true, RequireTLS: true}
}
