// Package observe reads the live state sseguard plans from: each bucket's region, existence and
// default encryption, and each key the policy or a bucket names, resolved through KMS.
//
// Reads go through narrow interfaces with the SDK's method signatures, so a real client or a
// test double fits. Buckets are read concurrently with a bound; a key is described once per run
// however many buckets use it.
package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// S3API is the part of the S3 client observe uses.
type S3API interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketReplication(ctx context.Context, in *s3.GetBucketReplicationInput, optFns ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error)
}

// KMSAPI is the part of the KMS client observe uses.
type KMSAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	GetKeyRotationStatus(ctx context.Context, in *kms.GetKeyRotationStatusInput, optFns ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error)
}

// STSAPI is the part of the STS client observe uses.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAMAPI is the part of the IAM client observe uses, to check that principals the policy names
// exist (AWS refuses a key policy naming a principal that does not).
type IAMAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
}

// Clients gives observe its clients. S3 and KMS clients are per region: an alias names a
// different key (or none) in each region.
type Clients interface {
	S3(region string) S3API
	KMS(region string) KMSAPI
	STS() STSAPI
	IAM() IAMAPI
}

// Default bounds: buckets read at once (each read is a few small requests, so an account's
// observation is bound by round trips, not by S3), and buckets whose objects are scanned at once
// (each scan has its own pool of objects in flight).
const (
	defaultConcurrency     = 64
	defaultScanConcurrency = 2
)

// Options tune an observation.
type Options struct {
	// Concurrency bounds how many buckets are read at once (default 64).
	Concurrency int
	// ScanConcurrency bounds how many buckets' objects are scanned at once (default 2).
	ScanConcurrency int
	// HomeRegion is where bucket-location calls go (GetBucketLocation works from any region).
	HomeRegion string
	// Scanner reads existing objects for buckets whose policy says report or reencrypt; nil
	// leaves objects unread.
	Scanner Scanner
	// DeferReencrypt leaves the scan of reencrypt buckets to apply (which scans and fixes in
	// one pass) and marks them ObjectsDeferred.
	DeferReencrypt bool
	// DeferScan, when set, says which other buckets are not scanned either (marked
	// ObjectsDeferred): those whose objects S3 Batch Operations may re-encrypt, too many to read
	// object by object.
	DeferScan func(policy.Bucket) bool
	// OnAccount, when set, is called with the caller's account id as soon as STS answers.
	OnAccount func(string)
	// SkipUnmanaged leaves the account's other buckets unread even when the policy asks for them
	// (reading back after apply: they are reported from the plan, never changed).
	SkipUnmanaged bool
}

// ScanTarget is what every object of a bucket must be.
type ScanTarget struct {
	Bucket, Region string
	// Algorithm is AES256 or aws:kms; KeyARN is the required key ("" when it does not exist
	// yet: every KMS object is then non-compliant).
	Algorithm, KeyARN string
	BucketKey         bool
	Prefixes          []string
	// Owner is the account that must own the bucket (every S3 call carries it as
	// ExpectedBucketOwner).
	Owner string
	// BucketPolicy is the bucket's policy as observed, so that a copy it refuses can name the
	// statement that refused it.
	BucketPolicy string
}

// Scanner reads a bucket's existing objects.
type Scanner interface {
	Scan(ctx context.Context, t ScanTarget) (*state.ObjectCounts, error)
}

// Observer reads state through its clients. It caches keys for its lifetime: use a new
// Observer for each run that must see fresh key state.
type Observer struct {
	c     Clients
	o     Options
	scans chan struct{}
	mu    sync.Mutex
	keys  map[state.KeyRef]*keyEntry
}

type keyEntry struct {
	once sync.Once
	key  *state.Key
	// full reads the key's policy and rotation status, once, for keys sseguard must judge.
	full sync.Once
}

// New returns an Observer.
func New(c Clients, o Options) *Observer {
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.ScanConcurrency <= 0 {
		o.ScanConcurrency = defaultScanConcurrency
	}
	return &Observer{c: c, o: o, scans: make(chan struct{}, o.ScanConcurrency), keys: map[state.KeyRef]*keyEntry{}}
}

// Observe reads everything the policy refers to. Problems with one bucket or key are recorded
// in the State (and become blockers in the plan); the error is for failures that make the whole
// observation meaningless, such as credentials that do not work.
func (ob *Observer) Observe(ctx context.Context, pol *policy.Policy) (*state.State, error) {
	id, err := ob.c.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("find the AWS account of these credentials (sts:GetCallerIdentity): %w", err)
	}
	st := &state.State{Account: aws.ToString(id.Account), Partition: "aws", Buckets: map[string]*state.Bucket{}, Keys: map[state.KeyRef]*state.Key{}}
	if a, err := arn.Parse(aws.ToString(id.Arn)); err == nil && a.Partition != "" {
		st.Partition = a.Partition
	}
	if ob.o.OnAccount != nil {
		ob.o.OnAccount(st.Account)
	}
	if pol.Account != "" && pol.Account != st.Account {
		// Nothing more is read from an account the policy is not for.
		return st, nil
	}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ob.o.Concurrency)
	for _, b := range pol.Buckets {
		g.Go(func() error {
			ob.bucket(gctx, pol, b, st, &mu)
			return nil
		})
	}
	principals := map[string]bool{}
	for _, p := range PolicyPrincipals(pol) {
		g.Go(func() error {
			exists, known := ob.principalExists(gctx, p, st.Account)
			if known {
				mu.Lock()
				principals[p] = exists
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	st.Principals = principals
	if pol.Unmanaged.Report() && !ob.o.SkipUnmanaged {
		st.Unmanaged = ob.unmanaged(ctx, pol, st)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return st, nil
}

func (ob *Observer) bucket(ctx context.Context, pol *policy.Policy, pb policy.Bucket, st *state.State, mu *sync.Mutex) {
	b := &state.Bucket{Name: pb.Name}
	keys := map[state.KeyRef]*state.Key{}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		st.Buckets[pb.Name] = b
		for r, k := range keys {
			st.Keys[r] = k
		}
	}()

	// Every S3 call names the account that must own the bucket: a bucket of the same name in
	// another account is never read (S3 answers 403 instead).
	owner := aws.String(st.Account)
	region, exists, err := ob.bucketRegion(ctx, pb.Name, owner)
	if err != nil {
		b.Err = err.Error()
		return
	}
	b.Exists = exists
	if !exists {
		return
	}
	b.Region = region

	r, ok := ob.readBucket(ctx, pol, pb, b, owner)
	if !ok {
		return
	}
	if r.usedKey != nil {
		keys[r.usedRef] = r.usedKey
		if r.usedKey.Found {
			b.Encryption.KeyARN = r.usedKey.ARN
		}
	}
	target := ScanTarget{Bucket: pb.Name, Region: region, Algorithm: "AES256", Prefixes: pb.Prefixes,
		Owner: st.Account, BucketPolicy: b.Policy}
	if r.wantKey != nil {
		keys[r.wantRef] = r.wantKey
		target.Algorithm, target.KeyARN, target.BucketKey = "aws:kms", r.wantKey.ARN, pb.BucketKey
	}
	ob.scanObjects(ctx, pb, target, b)
}

// bucketKeys are the keys one bucket's reads described: the one its default encryption names
// (used) and the one the policy file wants, each with the reference it was described by.
type bucketKeys struct {
	usedRef, wantRef state.KeyRef
	usedKey, wantKey *state.Key
}

// readBucket makes the bucket's reads that depend on nothing but its region, together: its
// default encryption (then the key it names), its policy, its replication when it is on (or moving
// to) a KMS key, and the key the policy file wants. It reports false when the bucket is gone or a
// read failed; b then says which.
func (ob *Observer) readBucket(ctx context.Context, pol *policy.Policy, pb policy.Bucket, b *state.Bucket, owner *string) (bucketKeys, bool) {
	s3c := ob.c.S3(b.Region)
	var (
		wg                sync.WaitGroup
		r                 bucketKeys
		encErr, policyErr error
		gone              bool
		// wantDescribed is closed once the wanted key is described (or there is none): a
		// bucket usually names that same key by ARN, which the description then answers
		// without a second DescribeKey.
		wantDescribed = make(chan struct{})
	)
	wg.Add(2)
	if pb.Encryption == policy.SSEKMS {
		// Only a bucket on (or moving to) a KMS key needs its replication judged.
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Replication, b.ReplicationErr = ob.replication(ctx, s3c, pb.Name, owner)
		}()
	}
	go func() {
		defer wg.Done()
		if gone, encErr = readEncryption(ctx, s3c, b, owner); gone || encErr != nil {
			return
		}
		if b.Encryption != nil && b.Encryption.KeyRef != "" {
			r.usedRef = state.KeyRef{Region: b.Region, Ref: b.Encryption.KeyRef}
			select {
			case <-wantDescribed:
			case <-ctx.Done():
			}
			r.usedKey = ob.key(ctx, r.usedRef)
		}
	}()
	go func() {
		defer wg.Done()
		policyErr = readBucketPolicy(ctx, s3c, b, owner)
	}()
	if pb.Encryption == policy.SSEKMS && pb.KMSKey != "" {
		r.wantRef = state.DesiredKeyRef(pol, pb, b.Region)
		ob.entry(ctx, r.wantRef)
		close(wantDescribed)
		r.wantKey = ob.judgedKey(ctx, r.wantRef)
	} else {
		close(wantDescribed)
	}
	wg.Wait()
	switch {
	case gone:
		b.Exists = false
		return r, false
	case encErr != nil:
		b.Err = fmt.Sprintf("read default encryption: %v", encErr)
		return r, false
	case policyErr != nil:
		b.Err = fmt.Sprintf("read bucket policy: %v", policyErr)
		return r, false
	}
	return r, true
}

// readEncryption reads the bucket's default encryption rule into b (nil when none was ever
// configured); gone says S3 no longer knows the bucket.
func readEncryption(ctx context.Context, s3c S3API, b *state.Bucket, owner *string) (gone bool, err error) {
	enc, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.Name), ExpectedBucketOwner: owner})
	switch {
	case awserr.Is(err, awserr.CodeSSENotFound):
		// Never configured. AWS reports AES256 for such buckets since 2023; emulators report this.
		return false, nil
	case awserr.Is(err, awserr.CodeNoSuchBucket):
		return true, nil
	case err != nil:
		return false, err
	}
	b.Encryption = ruleFrom(enc)
	return false, nil
}

// readBucketPolicy reads the bucket's policy into b ("" when it has none).
func readBucketPolicy(ctx context.Context, s3c S3API, b *state.Bucket, owner *string) error {
	bp, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.Name), ExpectedBucketOwner: owner})
	switch {
	case awserr.Is(err, awserr.CodeNoSuchBucketPolicy):
		return nil
	case err != nil:
		return err
	}
	b.Policy = aws.ToString(bp.Policy)
	return nil
}

// scanObjects counts the bucket's existing objects against target when the policy asks for it,
// marks the scan deferred when a later stage does it, and records a failed scan in b.
func (ob *Observer) scanObjects(ctx context.Context, pb policy.Bucket, target ScanTarget, b *state.Bucket) {
	switch {
	case pb.ExistingObjects == policy.ObjectsIgnore || pb.ExistingObjects == "" || ob.o.Scanner == nil:
	case pb.ExistingObjects == policy.ObjectsReencrypt && ob.o.DeferReencrypt,
		ob.o.DeferScan != nil && ob.o.DeferScan(pb):
		b.ObjectsDeferred = true
	default:
		// A scan has its own pool of objects in flight: only a few buckets are scanned at once.
		select {
		case ob.scans <- struct{}{}:
		case <-ctx.Done():
			b.Err = fmt.Sprintf("scan existing objects: %v", ctx.Err())
			return
		}
		counts, err := ob.o.Scanner.Scan(ctx, target)
		<-ob.scans
		if err != nil {
			b.Err = fmt.Sprintf("scan existing objects: %v", err)
			return
		}
		b.Objects = counts
	}
}

// replication reads a bucket's replication configuration (nil when it has none). A failure is
// recorded, not fatal: only a bucket that moves to a KMS key needs it, and the plan blocks that
// move when the configuration could not be read.
func (ob *Observer) replication(ctx context.Context, s3c S3API, bucket string, owner *string) (*state.Replication, string) {
	out, err := s3c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(bucket), ExpectedBucketOwner: owner})
	switch {
	case awserr.Is(err, awserr.CodeNoReplication, awserr.CodeNoSuchBucket):
		return nil, ""
	case err != nil:
		return nil, fmt.Sprintf("read replication configuration (s3:GetReplicationConfiguration): %v", err)
	case out.ReplicationConfiguration == nil:
		return nil, ""
	}
	return ReplicationFrom(out.ReplicationConfiguration), ""
}

// ReplicationFrom turns a replication configuration as the SDK reads it into state.
func ReplicationFrom(c *s3types.ReplicationConfiguration) *state.Replication {
	r := &state.Replication{Role: aws.ToString(c.Role), Rules: []state.ReplicationRule{}}
	for _, rule := range c.Rules {
		sr := state.ReplicationRule{ID: aws.ToString(rule.ID), Priority: aws.ToInt32(rule.Priority), Status: string(rule.Status),
			Filter: filterText(rule)}
		if s := rule.SourceSelectionCriteria; s != nil && s.SseKmsEncryptedObjects != nil {
			sr.SSEKMSObjects = string(s.SseKmsEncryptedObjects.Status)
		}
		if d := rule.Destination; d != nil {
			sr.DestinationBucket, sr.DestinationAccount = aws.ToString(d.Bucket), aws.ToString(d.Account)
			if e := d.EncryptionConfiguration; e != nil {
				sr.ReplicaKMSKeyID = aws.ToString(e.ReplicaKmsKeyID)
			}
		}
		r.Rules = append(r.Rules, sr)
	}
	return r
}

// filterText says which objects a replication rule selects: its prefix and tags ("" for all).
func filterText(rule s3types.ReplicationRule) string {
	var parts []string
	//lint:ignore SA1019 a configuration of the earlier version (V1) still selects by this prefix
	prefix := aws.ToString(rule.Prefix)
	var tags []s3types.Tag
	if f := rule.Filter; f != nil {
		if f.Prefix != nil {
			prefix = aws.ToString(f.Prefix)
		}
		if f.Tag != nil {
			tags = append(tags, *f.Tag)
		}
		if a := f.And; a != nil {
			if a.Prefix != nil {
				prefix = aws.ToString(a.Prefix)
			}
			tags = append(tags, a.Tags...)
		}
	}
	if prefix != "" {
		parts = append(parts, "prefix "+prefix)
	}
	for _, t := range tags {
		parts = append(parts, "tag "+aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(parts, ", ")
}

// bucketRegion answers the bucket's region and whether it exists.
func (ob *Observer) bucketRegion(ctx context.Context, name string, owner *string) (string, bool, error) {
	out, err := ob.c.S3(ob.o.HomeRegion).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name), ExpectedBucketOwner: owner})
	switch {
	case awserr.Is(err, awserr.CodeNoSuchBucket, awserr.CodeNotFound):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read location of bucket %s: %w", name, err)
	}
	return RegionOfLocation(out.LocationConstraint), true, nil
}

// RegionOfLocation turns a LocationConstraint into a region name: the API answers "" (null)
// for us-east-1 and the legacy "EU" for eu-west-1.
func RegionOfLocation(c s3types.BucketLocationConstraint) string {
	switch c {
	case "":
		return "us-east-1"
	case s3types.BucketLocationConstraintEu:
		return "eu-west-1"
	}
	return string(c)
}

func ruleFrom(out *s3.GetBucketEncryptionOutput) *state.Rule {
	if out.ServerSideEncryptionConfiguration == nil || len(out.ServerSideEncryptionConfiguration.Rules) == 0 {
		return nil
	}
	r := out.ServerSideEncryptionConfiguration.Rules[0]
	rule := &state.Rule{BucketKey: aws.ToBool(r.BucketKeyEnabled)}
	if d := r.ApplyServerSideEncryptionByDefault; d != nil {
		rule.Algorithm = string(d.SSEAlgorithm)
		rule.KeyRef = aws.ToString(d.KMSMasterKeyID)
	}
	if bt := r.BlockedEncryptionTypes; bt != nil {
		rule.BlockedEncryptionTypes = []string{}
		for _, t := range bt.EncryptionType {
			rule.BlockedEncryptionTypes = append(rule.BlockedEncryptionTypes, string(t))
		}
	}
	return rule
}

// key describes the key ref names in region (DescribeKey only), once per observer: enough for a
// key a bucket uses now, whose state is shown but whose policy is not sseguard's to judge.
func (ob *Observer) key(ctx context.Context, kr state.KeyRef) *state.Key {
	return ob.entry(ctx, kr).key
}

// judgedKey is key with the key policy and rotation status read too, for a key a bucket must
// use: the plan judges those. Reading them only where they are judged keeps the plan role's
// permissions to the policy file's keys.
func (ob *Observer) judgedKey(ctx context.Context, kr state.KeyRef) *state.Key {
	e := ob.entry(ctx, kr)
	e.full.Do(func() {
		if e.key.Found && e.key.Err == "" && e.key.Manager == string(kmstypes.KeyManagerTypeCustomer) {
			ob.readPolicy(ctx, kr, e.key)
		}
	})
	return e.key
}

func (ob *Observer) entry(ctx context.Context, kr state.KeyRef) *keyEntry {
	ob.mu.Lock()
	e, ok := ob.keys[kr]
	if !ok {
		e = &keyEntry{}
		ob.keys[kr] = e
	}
	ob.mu.Unlock()
	e.once.Do(func() {
		e.key = ob.describe(ctx, kr)
		ob.index(kr.Region, e)
	})
	return e
}

// index files a described key under its ARN and its id too (in the region it was described in):
// a key named by alias in the policy file and by ARN in a bucket's default encryption is the same
// key, described once.
func (ob *Observer) index(region string, e *keyEntry) {
	if !e.key.Found || e.key.Err != "" {
		return
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for _, ref := range []string{e.key.ARN, e.key.ID} {
		if ref == "" {
			continue
		}
		if _, ok := ob.keys[state.KeyRef{Region: region, Ref: ref}]; !ok {
			ob.keys[state.KeyRef{Region: region, Ref: ref}] = e
		}
	}
}

// ResolveKeyARN resolves any key reference to the key's ARN, through the same per-run cache.
func (ob *Observer) ResolveKeyARN(ctx context.Context, region, ref string) (string, error) {
	if a, err := arn.Parse(ref); err == nil && strings.HasPrefix(a.Resource, "key/") {
		return ref, nil
	}
	k := ob.key(ctx, state.KeyRef{Region: region, Ref: ref})
	if k.Err != "" {
		return "", errors.New(k.Err)
	}
	if !k.Found {
		return "", fmt.Errorf("key %s not found in %s", ref, region)
	}
	return k.ARN, nil
}

func (ob *Observer) describe(ctx context.Context, kr state.KeyRef) *state.Key {
	c := ob.c.KMS(kr.Region)
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(kr.Ref)})
	var nf *kmstypes.NotFoundException
	switch {
	case errors.As(err, &nf), awserr.Is(err, awserr.CodeKMSNotFound):
		return &state.Key{Found: false, Region: kr.Region}
	case err != nil:
		return &state.Key{Err: fmt.Sprintf("describe key %s in %s: %v", kr.Ref, kr.Region, err)}
	}
	m := out.KeyMetadata
	k := &state.Key{
		Found:            true,
		ARN:              aws.ToString(m.Arn),
		ID:               aws.ToString(m.KeyId),
		Account:          aws.ToString(m.AWSAccountId),
		State:            string(m.KeyState),
		Manager:          string(m.KeyManager),
		Spec:             string(m.KeySpec),
		Usage:            string(m.KeyUsage),
		Description:      aws.ToString(m.Description),
		Origin:           string(m.Origin),
		CustomKeyStoreID: aws.ToString(m.CustomKeyStoreId),
		MultiRegion:      aws.ToBool(m.MultiRegion),
	}
	if mr := m.MultiRegionConfiguration; mr != nil {
		k.MultiRegionType = string(mr.MultiRegionKeyType)
	}
	if a, err := arn.Parse(k.ARN); err == nil {
		k.Region = a.Region
	}
	return k
}

// readPolicy reads a customer managed key's policy and rotation status into k.
func (ob *Observer) readPolicy(ctx context.Context, kr state.KeyRef, k *state.Key) {
	c := ob.c.KMS(kr.Region)
	// Both reads at once: an account's observation is bound by round trips.
	var (
		rot    *kms.GetKeyRotationStatusOutput
		rotErr error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		rot, rotErr = c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(k.ID)})
	}()
	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k.ID), PolicyName: aws.String("default")})
	<-done
	switch {
	case err == nil:
		k.Policy = aws.ToString(pol.Policy)
	case awserr.IsAccessDenied(err):
		// A key in another account, or a role without kms:GetKeyPolicy: the plan decides
		// whether that matters (it does for any key sseguard must judge).
		k.PolicyDenied = fmt.Sprintf("kms:GetKeyPolicy on %s was refused: %v", k.ARN, err)
	default:
		k.Err = fmt.Sprintf("read key policy of %s: %v", k.ARN, err)
		return
	}
	err = rotErr
	switch {
	case err == nil:
		k.Rotation = aws.Bool(rot.KeyRotationEnabled)
	case awserr.IsAccessDenied(err):
		k.RotationDenied = fmt.Sprintf("kms:GetKeyRotationStatus on %s was refused: %v", k.ARN, err)
	case awserr.Is(err, awserr.CodeUnsupported):
		// Keys KMS cannot rotate (imported material, custom key stores) answer this; Rotatable
		// says why from the key's metadata.
	case k.State == string(kmstypes.KeyStateEnabled):
		k.Err = fmt.Sprintf("read rotation status of %s: %v", k.ARN, err)
	}
}

// PolicyPrincipals lists, sorted and once each, the IAM role and user ARNs the policy names.
func PolicyPrincipals(pol *policy.Policy) []string {
	seen := map[string]bool{}
	for _, b := range pol.Buckets {
		if b.TranscoderPrincipal != "" {
			seen[b.TranscoderPrincipal] = true
		}
		for _, r := range b.Readers {
			seen[r] = true
		}
	}
	for _, k := range pol.Keys {
		for _, a := range k.Administrators {
			seen[a] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		if _, _, ok := iamName(p); ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// iamName splits a role or user ARN into its kind and name (the part after the last slash of
// the path, which is what GetRole and GetUser take).
func iamName(principal string) (kind, name string, ok bool) {
	a, err := arn.Parse(principal)
	if err != nil || a.Service != "iam" {
		return "", "", false
	}
	kind, rest, found := strings.Cut(a.Resource, "/")
	if !found || (kind != "role" && kind != "user") {
		return "", "", false
	}
	return kind, rest[strings.LastIndex(rest, "/")+1:], true
}

// principalExists asks IAM whether a role or user exists. known is false when the answer could
// not be had (another account, or no iam:GetRole permission): then nothing is claimed.
func (ob *Observer) principalExists(ctx context.Context, principal, account string) (exists, known bool) {
	kind, name, ok := iamName(principal)
	if !ok {
		return false, false
	}
	if a, _ := arn.Parse(principal); a.AccountID != account {
		return false, false
	}
	var (
		err   error
		found string
	)
	if kind == "role" {
		var out *iam.GetRoleOutput
		if out, err = ob.c.IAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err == nil {
			found = aws.ToString(out.Role.Arn)
		}
	} else {
		var out *iam.GetUserOutput
		if out, err = ob.c.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}); err == nil {
			found = aws.ToString(out.User.Arn)
		}
	}
	switch {
	case err == nil:
		// The name exists; the ARN (with its path) must be the one the policy wrote.
		return found == principal, true
	case awserr.Is(err, awserr.CodeNoSuchEntity):
		return false, true
	}
	return false, false
}
