package plan

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Replication and SSE-KMS, as "Replicating objects created with server-side encryption (SSE)
// using AWS KMS keys" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html)
// documents it: "By default, Amazon S3 doesn't replicate objects that are stored at rest using
// server-side encryption with ... AWS KMS"; a rule must opt in with
// SourceSelectionCriteria/SseKmsEncryptedObjects Status Enabled and name the key for replicas in
// Destination/EncryptionConfiguration/ReplicaKmsKeyID ("PutBucketReplication",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html: "To replicate AWS
// KMS-encrypted objects, add the following: SourceSelectionCriteria, SseKmsEncryptedObjects,
// Status, EncryptionConfiguration, and ReplicaKmsKeyID"); and the replication role needs
// kms:Decrypt on the source objects' key and kms:Encrypt on the replicas' key. A bucket moving to
// SSE-KMS whose rules lack any of it stops replicating its new objects, silently.

// BlockReplicationKMS: the bucket moves to its KMS key and a replication rule would stop
// replicating its objects (no SSE-KMS opt-in, no key for replicas, or a key policy that does not
// let the replication role use a key).
const BlockReplicationKMS = "replication-kms"

// Warnings about replication of a bucket already on its KMS key.
const (
	// WarnReplicationSkipsKMS: an enabled rule does not opt in to SSE-KMS objects, so S3
	// replicates none of the bucket's SSE-KMS objects.
	WarnReplicationSkipsKMS = "replication-skips-sse-kms"
	// WarnReplicationKMS: an enabled rule opts in but lacks something else it needs.
	WarnReplicationKMS = "replication-kms-incomplete"
)

// ReplicationRule is one replication rule of a bucket as the plan judges it.
type ReplicationRule struct {
	ID       string
	Priority int32
	// Status is Enabled or Disabled (a disabled rule is shown, never judged).
	Status string
	// Filter says which objects the rule selects ("" for all).
	Filter string
	// Destination is the destination bucket's ARN.
	Destination string
	// SSEKMSObjects says whether the rule opts in to SSE-KMS objects.
	SSEKMSObjects bool
	// ReplicaKey is the rule's ReplicaKmsKeyID as written ("" when not set).
	ReplicaKey string
	// WantReplicaKey is the key the policy file wants the destination's objects under (the key
	// ARN, or the alias of a key this plan creates), when the destination bucket is in the
	// policy file and uses SSE-KMS.
	WantReplicaKey string
	// Lacks says what the rule lacks to replicate SSE-KMS objects; empty when nothing.
	Lacks []string
}

// Replication is a bucket's replication configuration as the plan judges it.
type Replication struct {
	// Role is the IAM role S3 replicates as.
	Role  string
	Rules []ReplicationRule
}

// replication judges the bucket's replication rules against the move to its key: a bucket moving
// to the key is blocked by every enabled rule that would stop replicating; one already on it is
// warned about.
func (bc *bucketPlan) replication(w wantKey) *Replication {
	ob := bc.observed
	if ob.ReplicationErr != "" {
		if bc.switching {
			bc.block(BlockReplicationKMS, "the replication configuration of %s could not be read, so sseguard cannot tell whether moving it to %s would stop its replication: %s; allow s3:GetReplicationConfiguration to the role sseguard runs as (sseguard iam-policy adds it)",
				bc.b.Name, bc.b.KMSKey, ob.ReplicationErr)
		}
		return nil
	}
	rc := ob.Replication
	if rc == nil {
		return nil
	}
	out := &Replication{Role: rc.Role, Rules: []ReplicationRule{}}
	for _, r := range rc.Rules {
		pr := ReplicationRule{ID: r.ID, Priority: r.Priority, Status: r.Status, Filter: r.Filter, Destination: r.DestinationBucket,
			SSEKMSObjects: r.SSEKMSObjects == "Enabled", ReplicaKey: r.ReplicaKMSKeyID}
		pr.WantReplicaKey = bc.c.replicaKey(r.DestinationBucket)
		if r.Status == "Enabled" {
			pr.Lacks = bc.replicationLacks(rc.Role, r, pr.WantReplicaKey, w)
		}
		out.Rules = append(out.Rules, pr)
		if len(pr.Lacks) == 0 {
			continue
		}
		name := ruleName(r)
		switch {
		case bc.switching:
			bc.block(BlockReplicationKMS, "replication rule %s of %s (to %s) would stop replicating the bucket's new objects once they are encrypted under %s: it lacks %s",
				name, bc.b.Name, r.DestinationBucket, bc.b.KMSKey, strings.Join(pr.Lacks, "; "))
		case !pr.SSEKMSObjects:
			bc.warn(WarnReplicationSkipsKMS, "replication rule %s of %s (to %s) skips SSE-KMS objects, and the bucket is on %s: S3 replicates none of its new objects; it lacks %s",
				name, bc.b.Name, r.DestinationBucket, bc.b.KMSKey, strings.Join(pr.Lacks, "; "))
		default:
			bc.warn(WarnReplicationKMS, "replication rule %s of %s (to %s) replicates SSE-KMS objects but lacks %s",
				name, bc.b.Name, r.DestinationBucket, strings.Join(pr.Lacks, "; "))
		}
	}
	return out
}

// ruleName names a rule in messages: its id and priority.
func ruleName(r state.ReplicationRule) string {
	id := fmt.Sprintf("%q", r.ID)
	if r.ID == "" {
		id = "(no id)"
	}
	if r.Priority != 0 {
		id += fmt.Sprintf(" (priority %d)", r.Priority)
	}
	return id
}

// replicationLacks says what an enabled rule lacks to replicate the bucket's SSE-KMS objects.
func (bc *bucketPlan) replicationLacks(role string, r state.ReplicationRule, wantReplica string, w wantKey) []string {
	var lacks []string
	if r.SSEKMSObjects != "Enabled" {
		lacks = append(lacks, "the SSE-KMS opt-in (SourceSelectionCriteria.SseKmsEncryptedObjects Status Enabled): without it S3 does not replicate SSE-KMS objects")
	}
	switch {
	case r.ReplicaKMSKeyID == "" && wantReplica != "":
		lacks = append(lacks, fmt.Sprintf("the key for replicas (Destination.EncryptionConfiguration.ReplicaKmsKeyID): set it to %s, the key the policy file wants for %s", wantReplica, bucketOfARN(r.DestinationBucket)))
	case r.ReplicaKMSKeyID == "":
		lacks = append(lacks, "the key for replicas (Destination.EncryptionConfiguration.ReplicaKmsKeyID), a key in the destination's region")
	case wantReplica != "" && !bc.c.sameKey(r.ReplicaKMSKeyID, wantReplica):
		lacks = append(lacks, fmt.Sprintf("the right key for replicas: ReplicaKmsKeyID is %s, but the policy file wants %s's objects under %s", r.ReplicaKMSKeyID, bucketOfARN(r.DestinationBucket), wantReplica))
	}
	if role == "" || w.policy == nil {
		return lacks
	}
	// The replication role reads the source objects through S3: the key policy the plan leaves
	// must let it decrypt (its own IAM policy must too; sseguard does not read IAM policies).
	if v := bc.roleKeyUse(role, w.policy, w.arn, "kms:Decrypt", bc.region); !v.OK {
		lacks = append(lacks, fmt.Sprintf("a key policy letting the replication role %s decrypt with %s (%s): list the role under readers", role, bc.b.KMSKey, v.Why))
	}
	if doc, keyARN, region := bc.c.replicaKeyPolicy(r.DestinationBucket); doc != nil {
		if v := bc.roleKeyUse(role, doc, keyARN, "kms:Encrypt", region); !v.OK {
			lacks = append(lacks, fmt.Sprintf("a key policy letting the replication role %s encrypt replicas with %s (%s)", role, keyARN, v.Why))
		}
	}
	return lacks
}

// roleKeyUse asks whether a key policy lets the replication role do action with the key through
// S3 in region (its account's IAM policies decide when the key policy delegates to them).
func (bc *bucketPlan) roleKeyUse(role string, doc *iampolicy.Document, keyARN, action, region string) iampolicy.ReaderVerdict {
	if keyARN == "" {
		keyARN = fmt.Sprintf("arn:%s:kms:%s:%s:key/sseguard-new-key", bc.c.partition(), region, bc.c.st.Account)
	}
	return iampolicy.PrincipalKeyUse(doc, role, action, keyARN, iampolicy.S3ViaService(bc.c.partition(), region))
}

// bucketOfARN is the bucket name of an S3 bucket ARN (the value itself when it is not one).
func bucketOfARN(a string) string {
	if i := strings.LastIndex(a, ":::"); i >= 0 {
		return a[i+3:]
	}
	return a
}

// destination returns the policy file's entry for a destination bucket ARN and its observed state.
func (c *computer) destination(bucketARN string) (policy.Bucket, *state.Bucket, bool) {
	name := bucketOfARN(bucketARN)
	for _, b := range c.pol.Buckets {
		if b.Name == name {
			ob := c.st.Buckets[name]
			return b, ob, ob != nil && ob.Exists && ob.Err == ""
		}
	}
	return policy.Bucket{}, nil, false
}

// replicaKey is the key the policy file wants a destination bucket's objects under: the key ARN
// when it exists, else the alias (a key this plan creates); "" when the destination is not in the
// policy file or is not sse-kms.
func (c *computer) replicaKey(bucketARN string) string {
	b, ob, ok := c.destination(bucketARN)
	if !ok || b.Encryption != policy.SSEKMS {
		return ""
	}
	kr := state.DesiredKeyRef(c.pol, b, ob.Region)
	if k := c.st.Keys[kr]; k != nil && k.Found && k.ARN != "" {
		return k.ARN
	}
	return b.KMSKey
}

// replicaKeyPolicy is the key policy the plan leaves a destination bucket's key with, the key's
// ARN ("" for a key this plan creates) and region; nil when not known.
func (c *computer) replicaKeyPolicy(bucketARN string) (*iampolicy.Document, string, string) {
	b, ob, ok := c.destination(bucketARN)
	if !ok || b.Encryption != policy.SSEKMS {
		return nil, "", ""
	}
	kr := state.DesiredKeyRef(c.pol, b, ob.Region)
	k := c.st.Keys[kr]
	if k == nil {
		return nil, "", ""
	}
	if !k.Found {
		if kc, ok := c.keys[kr]; ok {
			return kc.policy, "", kr.Region
		}
		if u := c.uses[kr]; u != nil {
			doc := iampolicy.KeyPolicy(u.policySpec(c.st))
			return doc, "", kr.Region
		}
		return nil, "", ""
	}
	if u := c.uses[kr]; u != nil && k.Err == "" && k.Policy != "" {
		line := b.Pos.Line
		c.analyse(u, line)
		return u.planned, k.ARN, k.Region
	}
	return nil, "", ""
}

// sameKey reports whether a ReplicaKmsKeyID names the wanted key (its ARN, or the alias of a key
// this plan creates): by key ARN, key id, or the alias in any form.
func (c *computer) sameKey(ref, want string) bool {
	if ref == want {
		return true
	}
	if strings.HasPrefix(want, "alias/") {
		return strings.HasSuffix(ref, ":"+want)
	}
	if id, ok := strings.CutPrefix(want[strings.LastIndex(want, ":")+1:], "key/"); ok && ref == id {
		return true
	}
	for r, k := range c.st.Keys {
		if k != nil && k.Found && k.ARN == want && (r.Ref == ref || strings.HasSuffix(ref, ":"+r.Ref)) {
			return true
		}
	}
	return false
}
