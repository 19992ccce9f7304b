// Package state is what sseguard saw in an account, as plain data: package observe fills it,
// package plan reads it. It holds no clients and does no I/O (as terraform's states beside its
// plans), so plans are computed, and tested, from a literal State.
package state

import (
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/policy"
)

// State is what sseguard saw in the account: the data the plan is computed from. It holds no
// clients and does no I/O, so plans can be computed (and tested) from a literal State.
type State struct {
	// Account is the caller's AWS account id (STS GetCallerIdentity).
	Account string
	// Partition is the caller's partition (aws, aws-cn, aws-us-gov), from its ARN: every ARN
	// sseguard writes is built in it.
	Partition string
	// Buckets by name.
	Buckets map[string]*Bucket
	// Keys by where and how they were asked for: the policy's key references and every key a
	// bucket's encryption names.
	Keys map[KeyRef]*Key
	// Principals says, for each IAM principal ARN the policy names, whether it exists
	// (IAM GetRole / GetUser). Missing entries were not checked.
	Principals map[string]bool
	// Unmanaged are the account's buckets the policy does not name; nil unless the policy asks
	// for them (unmanaged_buckets: report).
	Unmanaged *Unmanaged
}

// KeyRef names a key as written somewhere (alias name, alias ARN, key id or key ARN), in the
// region it was looked up in. Aliases are per region, so the region is part of the name.
type KeyRef struct {
	Region string
	Ref    string
}

// Bucket is one bucket's observed state.
type Bucket struct {
	Name   string
	Exists bool
	// Region is the bucket's own region (GetBucketLocation; "" from the API means us-east-1).
	Region string
	// Encryption is the default encryption rule; nil when the bucket has none configured.
	Encryption *Rule
	// Policy is the bucket policy document as stored; "" when the bucket has none.
	Policy string
	// Replication is the bucket's replication configuration; nil when it has none.
	Replication *Replication
	// ReplicationErr says why the replication configuration could not be read ("" when it was).
	ReplicationErr string
	// Objects is the existing-objects scan, when the policy asked for one and it was made.
	Objects *ObjectCounts
	// ObjectsDeferred says the scan was left to apply, which scans and fixes in one pass.
	ObjectsDeferred bool
	// Err says why the bucket could not be observed completely; the plan turns it into a blocker.
	Err string
}

// Rule is a bucket's default encryption rule.
type Rule struct {
	// Algorithm is AES256, aws:kms or aws:kms:dsse, as S3 returns it.
	Algorithm string
	// KeyRef is the key as S3 returned it (AWS returns the ARN; others return what was written).
	KeyRef string
	// KeyARN is KeyRef resolved through KMS; "" when there is no key or it could not be resolved.
	KeyARN    string
	BucketKey bool
	// BlockedEncryptionTypes are the encryption types the bucket refuses for new objects (S3's
	// BlockedEncryptionTypes, e.g. SSE-C); nil when the rule has none.
	BlockedEncryptionTypes []string
}

// Replication is a bucket's replication configuration as GetBucketReplication answers it (the
// parts that decide whether SSE-KMS objects are replicated).
type Replication struct {
	// Role is the IAM role S3 assumes to replicate.
	Role  string
	Rules []ReplicationRule
}

// ReplicationRule is one rule of a replication configuration.
type ReplicationRule struct {
	ID       string
	Priority int32
	// Status is Enabled or Disabled.
	Status string
	// Filter says which objects the rule selects, in words ("" for all of them).
	Filter string
	// SSEKMSObjects is SourceSelectionCriteria.SseKmsEncryptedObjects.Status: Enabled, Disabled,
	// or "" when the rule does not say (S3 then replicates no SSE-KMS object).
	SSEKMSObjects string
	// DestinationBucket is the destination bucket's ARN; DestinationAccount its owner when the
	// rule names one.
	DestinationBucket  string
	DestinationAccount string
	// ReplicaKMSKeyID is Destination.EncryptionConfiguration.ReplicaKmsKeyID: the key replicas
	// are encrypted under ("" when not set).
	ReplicaKMSKeyID string
}

// Key is a KMS key as DescribeKey (and, for customer managed keys, GetKeyPolicy and
// GetKeyRotationStatus) answered.
type Key struct {
	// Found is false when KMS answered NotFound (no such alias or key).
	Found       bool
	ARN         string
	ID          string
	Account     string
	Region      string
	State       string
	Manager     string
	Spec        string
	Usage       string
	Description string
	// Origin is where the key material comes from: AWS_KMS, EXTERNAL (imported), AWS_CLOUDHSM
	// or EXTERNAL_KEY_STORE.
	Origin string
	// CustomKeyStoreID is set for keys in a custom key store.
	CustomKeyStoreID string
	// MultiRegion and MultiRegionType (PRIMARY or REPLICA) describe multi-Region keys.
	MultiRegion     bool
	MultiRegionType string
	// Policy is the key policy ("default"); "" when it could not be read.
	Policy string
	// PolicyDenied says which call was refused when the key policy could not be read.
	PolicyDenied string
	// Rotation is automatic rotation; nil when unknown (not read, not allowed, or unsupported).
	Rotation *bool
	// RotationDenied says which call was refused when the rotation status could not be read.
	RotationDenied string
	// Err says why the key could not be observed; the plan turns it into a blocker.
	Err string
}

// NotRotatable says why KMS cannot rotate the key automatically, or "" when it can. AWS KMS API
// Reference, EnableKeyRotation (https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html):
// "You cannot enable automatic rotation of asymmetric KMS keys, HMAC KMS keys, KMS keys with
// imported key material, or KMS keys in a custom key store. To enable or disable automatic
// rotation of a set of related multi-Region keys, set the property on the primary key."
func (k *Key) NotRotatable() string {
	switch {
	case k.Origin == "EXTERNAL":
		return "its key material is imported (Origin EXTERNAL): KMS cannot rotate it automatically; rotate it by hand (import new key material) or move the bucket to a new key"
	case k.CustomKeyStoreID != "" || k.Origin == "AWS_CLOUDHSM" || k.Origin == "EXTERNAL_KEY_STORE":
		return "it is in a custom key store: KMS cannot rotate it automatically; rotate it in the key store, or move the bucket to a new key"
	case k.MultiRegion && k.MultiRegionType == "REPLICA":
		return "it is a multi-Region replica key: rotation is set on its primary key and shared with every replica; enable rotation on the primary"
	}
	return ""
}

// ObjectCounts summarises a bucket's existing objects.
type ObjectCounts struct {
	Scanned   int
	Compliant int
	// ToFix counts objects needing re-encryption by what they are now: unencrypted, sse-s3,
	// other-kms-key, bucket-key-off.
	ToFix map[string]int
	// ToFixByClass counts the objects to fix by kind, then by storage class ("" when the scan did
	// not say): a Batch Operations copy job takes one class.
	ToFixByClass map[string]map[string]int
	// Skipped counts objects that cannot be fixed in place, by reason (glacier-not-restored,
	// sse-c, object-lock, acl-grants, ...).
	Skipped map[string]int
	// Noncurrent counts noncurrent versions, which keep their old encryption.
	Noncurrent int
	// Fixed and Failed count objects re-encrypted (apply only).
	Fixed  int
	Failed int
	// Remaining counts objects left for a later run when a budget stopped this one.
	Remaining int
	// Sample is a few of the objects to fix, never all of them.
	Sample []ObjectSample
	// Source says where the counts came from (an inventory or HEAD requests); nil when not said.
	Source *ObjectSource
}

// ObjectSample is one object in a sample.
type ObjectSample struct {
	Key      string
	Kind     string
	Observed string
}

// TotalToFix is the number of objects needing re-encryption.
func (o *ObjectCounts) TotalToFix() int {
	n := 0
	for _, v := range o.ToFix {
		n += v
	}
	return n
}

// DesiredKeyRef is where and by which name the key a bucket must use is looked up: an ARN in
// its own region, an alias in the region the policy pins it to, else in the bucket's region.
func DesiredKeyRef(pol *policy.Policy, pb policy.Bucket, bucketRegion string) KeyRef {
	if a, err := arn.Parse(pb.KMSKey); err == nil {
		return KeyRef{Region: a.Region, Ref: pb.KMSKey}
	}
	if k, ok := pol.KeyByAlias(pb.KMSKey); ok && k.Region != "" {
		return KeyRef{Region: k.Region, Ref: pb.KMSKey}
	}
	return KeyRef{Region: bucketRegion, Ref: pb.KMSKey}
}

// Where a bucket's object counts came from (ObjectSource.Kind).
const (
	// SourceInventory: from the latest delivered S3 Inventory, with HEAD only where it cannot
	// decide.
	SourceInventory = "inventory"
	// SourceHead: a HEAD request per object.
	SourceHead = "head"
	// NoInventoryConfigured is ObjectSource.Reason for a bucket without any inventory
	// configuration: the usual case, not worth a word in the reports.
	NoInventoryConfigured = "the bucket has no inventory configuration"
)

// ObjectSource says where a bucket's object counts came from and, for an inventory, how old it
// is; for a HEAD scan, why no inventory was used.
type ObjectSource struct {
	// Kind is SourceInventory or SourceHead.
	Kind string
	// InventoryID is the inventory configuration's id; Manifest the manifest.json read
	// (s3://bucket/key).
	InventoryID string
	Manifest    string
	// Created is when the inventory began scanning the bucket (RFC 3339), AgeSeconds how long
	// before the plan that was.
	Created    string
	AgeSeconds int64
	// FromInventory counts objects decided by the inventory alone; WithHead those read with
	// HEAD (changed since, not in it, or not decidable from it: SSE-KMS objects whose key must
	// be known, archives, object lock or ACLs it does not show).
	FromInventory int
	WithHead      int
	// Reason says why no inventory was used (Kind SourceHead).
	Reason string
}
