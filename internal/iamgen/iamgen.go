// Package iamgen writes the least-privilege IAM policies sseguard's two roles need for one policy
// file: the plan role (read-only: pull requests, scheduled drift checks) and the apply role (the
// apply branch), scoped to the file's buckets (and prefixes, for object actions) and keys (by alias
// condition, since a key may not exist yet), and the trust policy that lets GitHub's OIDC provider
// hand each role only to the workflows that should have it.
//
// Action names and resource types follow the Service Authorization Reference: "Actions, resources,
// and condition keys for Amazon S3" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html),
// "... for AWS Key Management Service" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html)
// and "... for AWS Identity and Access Management" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
// The end-to-end tests run every scenario with the strict AWS layer checking each request against
// the policy generated here for the role in use.
package iamgen

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// Role is one of sseguard's roles.
type Role string

// The roles.
const (
	// RolePlan reads: plan on pull requests and scheduled drift checks.
	RolePlan Role = "plan"
	// RoleApply reads and writes: apply on the apply branch.
	RoleApply Role = "apply"
)

// AliasTag is the tag sseguard puts on every key it creates (apply.AliasTag); the apply role may
// only create keys carrying it. Nothing but reading a key's policy is granted on it: anyone who
// may tag keys can put it on any key.
const AliasTag = "sseguard:alias"

// Options say for which role and account to write the policy.
type Options struct {
	Role Role
	// Account is the account of the buckets and keys; the policy file's account wins.
	Account string
	// Partition is aws (default), aws-cn or aws-us-gov.
	Partition string
}

// Policy returns the IAM identity policy the role needs for pol. For a policy that lists accounts,
// o.Account naming one of them gives the policy of the role sseguard assumes there (that
// account's buckets and keys); otherwise the home role's (the home account's buckets and keys, and
// sts:AssumeRole on the listed roles).
func Policy(pol *policy.Policy, o Options) (*iampolicy.Document, error) {
	pol, assume := forAccount(pol, o.Account, o.Role)
	g, err := newGen(pol, o)
	if err != nil {
		return nil, err
	}
	switch o.Role {
	case RolePlan:
		g.read()
		g.followJobs()
		g.assumeRoles(assume)
	case RoleApply:
		g.read()
		g.followJobs()
		g.write()
		g.createJobs()
		g.assumeRoles(assume)
	case RoleBatch:
		if err := g.batchRole(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("role %q: want plan, apply or batch", o.Role)
	}
	return &iampolicy.Document{Version: iampolicy.Version2012, Statements: g.out}, nil
}

type gen struct {
	pol                *policy.Policy
	partition, account string
	out                []iampolicy.Statement
}

func newGen(pol *policy.Policy, o Options) (*gen, error) {
	g := &gen{pol: pol, partition: o.Partition, account: pol.Account}
	if g.partition == "" {
		g.partition = "aws"
	}
	if g.account == "" {
		g.account = o.Account
	}
	if g.account == "" {
		return nil, errors.New("the policy file names no account: pass --account (the 12-digit id of the account its buckets are in)")
	}
	if o.Account != "" && pol.Account != "" && o.Account != pol.Account {
		return nil, fmt.Errorf("--account %s differs from the policy file's account %s", o.Account, pol.Account)
	}
	return g, nil
}

func (g *gen) add(sid string, actions, resources []string, cond map[string]map[string][]string) {
	if len(actions) == 0 || len(resources) == 0 {
		return
	}
	g.out = append(g.out, iampolicy.Statement{Sid: sid, Effect: iampolicy.EffectAllow,
		Action: sortedUnique(actions), Resource: sortedUnique(resources), Condition: cond})
}

// Resource ARNs.
func (g *gen) bucketARN(b string) string { return fmt.Sprintf("arn:%s:s3:::%s", g.partition, b) }
func (g *gen) objectARN(b, prefix string) string {
	return fmt.Sprintf("arn:%s:s3:::%s/%s*", g.partition, b, prefix)
}
func (g *gen) anyKey() string { return fmt.Sprintf("arn:%s:kms:*:%s:key/*", g.partition, g.account) }
func (g *gen) aliasARN(alias string) string {
	return fmt.Sprintf("arn:%s:kms:*:%s:%s", g.partition, g.account, alias)
}

// objectBuckets returns the buckets whose objects sseguard reads (report, reencrypt) or rewrites
// (reencrypt only).
func (g *gen) objectBuckets(rewrite bool) []policy.Bucket {
	var out []policy.Bucket
	for _, b := range g.pol.Buckets {
		switch b.ExistingObjects {
		case policy.ObjectsReencrypt:
			out = append(out, b)
		case policy.ObjectsReport:
			if !rewrite {
				out = append(out, b)
			}
		}
	}
	return out
}

func (g *gen) objectResources(bs []policy.Bucket) []string {
	var out []string
	for _, b := range bs {
		if len(b.Prefixes) == 0 {
			out = append(out, g.objectARN(b.Name, ""))
		}
		for _, p := range b.Prefixes {
			out = append(out, g.objectARN(b.Name, p))
		}
	}
	return out
}

// keyNames are the file's keys: aliases (every sse-kms bucket's and every keys entry's) and key ARNs.
func (g *gen) keyNames() (aliases, keyARNs []string) {
	add := func(ref string) {
		switch {
		case strings.HasPrefix(ref, "alias/"):
			aliases = append(aliases, ref)
		case strings.HasPrefix(ref, "arn:"):
			a, err := arn.Parse(ref)
			if err != nil {
				return
			}
			if name, ok := strings.CutPrefix(a.Resource, "alias/"); ok {
				aliases = append(aliases, "alias/"+name)
			} else {
				keyARNs = append(keyARNs, ref)
			}
		}
	}
	for _, k := range g.pol.Keys {
		add(k.Alias)
	}
	for _, b := range g.pol.Buckets {
		if b.Encryption == policy.SSEKMS {
			add(b.KMSKey)
		}
	}
	return sortedUnique(aliases), sortedUnique(keyARNs)
}

// byAlias is the condition that limits key actions to keys an alias of the file names.
func byAlias(aliases []string) map[string]map[string][]string {
	return map[string]map[string][]string{"ForAnyValue:StringEquals": {"kms:ResourceAliases": aliases}}
}

// read is what plan needs (and apply, to plan first and verify after).
func (g *gen) read() {
	var buckets []string
	for _, b := range g.pol.Buckets {
		buckets = append(buckets, g.bucketARN(b.Name))
	}
	g.add("ReadBucketEncryption", []string{"s3:GetBucketLocation", "s3:GetEncryptionConfiguration", "s3:GetBucketPolicy"}, buckets, nil)
	// A bucket on (or moving to) a KMS key has its replication rules judged: S3 replicates no
	// SSE-KMS object unless a rule opts in.
	var kmsBuckets []string
	for _, b := range g.pol.Buckets {
		if b.Encryption == policy.SSEKMS {
			kmsBuckets = append(kmsBuckets, g.bucketARN(b.Name))
		}
	}
	g.add("ReadReplication", []string{"s3:GetReplicationConfiguration"}, kmsBuckets, nil)

	if scan := g.objectBuckets(false); len(scan) > 0 {
		var bs []string
		for _, b := range scan {
			bs = append(bs, g.bucketARN(b.Name))
		}
		// Listing (ListObjectsV2, ListObjectVersions for noncurrent versions), and what decides
		// whether an object can be rewritten: versioning, ACLs, their grants.
		// A scan first looks for the bucket's S3 Inventory: ListBucketInventoryConfigurations and
		// GetBucketInventoryConfiguration need s3:GetInventoryConfiguration (Amazon S3 API
		// Reference, "ListBucketInventoryConfigurations",
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html).
		// Its deliveries are read with ListObjectsV2 and GetObject on the destination bucket, which
		// the policy file does not name: without a grant there the scan reads every object
		// (s3:ListBucket and s3:GetObject on destination-prefix/source-bucket/* let it use the
		// inventory).
		g.add("ListObjectsToScan", []string{"s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketVersioning", "s3:GetBucketOwnershipControls", "s3:GetInventoryConfiguration"}, bs, nil)
		// HeadObject is authorised as s3:GetObject; reading an ACL (with a version id on versioned
		// buckets) as s3:GetObjectAcl / s3:GetObjectVersionAcl.
		g.add("ReadObjectEncryption", []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"}, g.objectResources(scan), nil)
	}

	g.unmanaged()

	aliases, keyARNs := g.keyNames()
	// Every key a bucket's default encryption names is described (it may be another key than the
	// file's: its state is shown); policies and rotation only of the file's keys.
	g.add("DescribeKeysInUse", []string{"kms:DescribeKey"}, []string{g.anyKey()}, nil)
	keyRead := []string{"kms:GetKeyPolicy", "kms:GetKeyRotationStatus"}
	if len(aliases) > 0 {
		g.add("ReadKeysByAlias", keyRead, []string{g.anyKey()}, byAlias(aliases))
	}
	g.add("ReadKeysByARN", keyRead, keyARNs, nil)

	// AWS refuses a key policy naming a principal that does not exist: the plan checks first.
	var roles, users []string
	for _, p := range g.principals() {
		a, err := arn.Parse(p)
		if err != nil || a.AccountID != g.account {
			continue // another account's principals cannot be looked up from here
		}
		switch {
		case strings.HasPrefix(a.Resource, "role/"):
			roles = append(roles, p)
		case strings.HasPrefix(a.Resource, "user/"):
			users = append(users, p)
		}
	}
	g.add("CheckRolesExist", []string{"iam:GetRole"}, roles, nil)
	g.add("CheckUsersExist", []string{"iam:GetUser"}, users, nil)
}

func (g *gen) principals() []string {
	var out []string
	for _, b := range g.pol.Buckets {
		if b.TranscoderPrincipal != "" {
			out = append(out, b.TranscoderPrincipal)
		}
		out = append(out, b.Readers...)
	}
	for _, k := range g.pol.Keys {
		out = append(out, k.Administrators...)
	}
	return sortedUnique(out)
}

// write is what apply needs on top of read.
func (g *gen) write() {
	var buckets []string
	for _, b := range g.pol.Buckets {
		buckets = append(buckets, g.bucketARN(b.Name))
	}
	// s3:DeleteBucketPolicy only ever removes a policy that held nothing but sseguard's statements
	// (S3 refuses to store a policy with none).
	g.add("WriteBucketEncryption", []string{"s3:PutEncryptionConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}, buckets, nil)

	aliases, keyARNs := g.keyNames()
	if len(aliases) > 0 {
		g.keyWrites(aliases)
	}
	g.add("ManageKeysByARN", []string{"kms:PutKeyPolicy", "kms:EnableKeyRotation"}, keyARNs, noLockoutBypass())

	fix := g.objectBuckets(true)
	if len(fix) == 0 {
		return
	}
	var bs []string
	for _, b := range fix {
		bs = append(bs, g.bucketARN(b.Name))
	}
	// Whether the bucket's objects may be copied from the listing (Object Lock, website).
	g.add("InspectBucketsToReencrypt", []string{"s3:GetBucketObjectLockConfiguration", "s3:GetBucketWebsite"}, bs, nil)
	// CopyObject onto itself and multipart copies are s3:PutObject; tags are read for a multipart
	// copy (GetObjectTagging) and written with it; a failed multipart copy is aborted.
	g.add("ReencryptObjects", []string{"s3:PutObject", "s3:GetObjectTagging", "s3:GetObjectVersionTagging",
		"s3:PutObjectTagging", "s3:AbortMultipartUpload", "s3:UpdateObjectEncryption"}, g.objectResources(fix), nil)
	// S3 calls KMS on the caller's behalf: decrypt the old data key (any key the objects were
	// under), generate the new one. Only through S3, and only for these buckets' objects (S3's
	// encryption context is the object's ARN, or the bucket's with an S3 Bucket Key). "Using
	// server-side encryption with AWS KMS keys (SSE-KMS)", Encryption context:
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
	var ctxARNs []string
	for _, b := range fix {
		ctxARNs = append(ctxARNs, g.bucketARN(b.Name), g.bucketARN(b.Name)+"/*")
	}
	g.add("KeysThroughS3ForTheseBuckets", []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"},
		[]string{g.anyKey()}, map[string]map[string][]string{
			"StringLike": {"kms:ViaService": {"s3.*." + dnsSuffix(g.partition)}, "kms:EncryptionContext:aws:s3:arn": ctxARNs},
		})
}

// dnsSuffix is the partition's service domain, for kms:ViaService.
func dnsSuffix(partition string) string {
	if partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	sort.Strings(out)
	return slices.Compact(out)
}
