// Package plan compares a policy with the observed state of an account and says what must change.
//
// Compute is a pure function: the same policy and state always give the same plan, in the same
// order. It makes no AWS call; rendering (package report) and executing (package apply) are
// separate views of the plan's data.
package plan

import (
	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/state"
)

// Kind is what a change does.
type Kind string

// The kinds of change, in the order apply performs them (kindOrder; the two rule changes share a
// place, as a bucket gets one or the other).
const (
	// CreateKey creates a customer managed key with its description, tags and key policy, and
	// points its alias at it.
	CreateKey Kind = "create-key"
	// UpdateKeyPolicy replaces the statements sseguard owns in a key's policy.
	UpdateKeyPolicy Kind = "update-key-policy"
	// EnableKeyRotation turns on automatic rotation of a key.
	EnableKeyRotation Kind = "enable-key-rotation"
	// SetDefaultEncryption sets a bucket's default encryption rule.
	SetDefaultEncryption Kind = "set-default-encryption"
	// EnableBucketKey turns on S3 Bucket Keys in a rule that is otherwise right.
	EnableBucketKey Kind = "enable-bucket-key"
	// UpdateBucketPolicy replaces the statements sseguard owns in a bucket's policy.
	UpdateBucketPolicy Kind = "update-bucket-policy"
	// ReencryptObjects re-encrypts objects stored before the bucket's default was right.
	ReencryptObjects Kind = "reencrypt-objects"
)

var kindOrder = map[Kind]int{
	CreateKey: 0, UpdateKeyPolicy: 1, EnableKeyRotation: 2, SetDefaultEncryption: 3, EnableBucketKey: 3,
	// The bucket policy goes before re-encryption: a copy is authorised as s3:PutObject with the
	// copy's encryption headers as condition keys, so sseguard's own upload-enforcing statements
	// apply to its copies and must already name the new key (and refuse the old one).
	UpdateBucketPolicy: 4, ReencryptObjects: 5,
}

// Change is one thing apply will do.
type Change struct {
	// ID is stable across runs: kind and target, e.g. "set-default-encryption/media-hls".
	ID   string
	Kind Kind
	// Bucket is the bucket changed, for bucket changes.
	Bucket string
	// Alias is the key alias, for key changes (and for bucket rules that use a key created in
	// the same run).
	Alias  string
	Region string
	// Line is the policy line that asked for this change (the bucket's or the key's entry).
	Line int
	// Before and After describe the change for people: "AES256", "aws:kms alias/x (bucket key)".
	Before string
	After  string
	// Details are finer-grained lines, e.g. which principal gains which key actions.
	Details []string
	// DependsOn lists changes that must succeed first.
	DependsOn []string

	// Rule is the encryption rule to write, for SetDefaultEncryption and EnableBucketKey.
	Rule *Rule
	// ObservedRule is the rule the change replaces, as read (nil: the bucket had none), for
	// SetDefaultEncryption and EnableBucketKey.
	ObservedRule *state.Rule
	// Grants lists, per statement, who a new or rewritten policy gives access to (create-key,
	// update-key-policy): every grant sseguard writes is visible in the plan.
	Grants []Grant
	// Key is the key to create, for CreateKey.
	Key *NewKey
	// Document is the policy document to write, for UpdateKeyPolicy and UpdateBucketPolicy.
	Document string
	// DeleteDocument says the bucket policy is deleted rather than written: it held only
	// sseguard's statements, and S3 refuses a policy with an empty statement list.
	DeleteDocument bool
	// ObservedDocument is the policy as the plan read it ("" when there was none). Apply reads the
	// policy again right before writing, and writes nothing if it changed in between: someone
	// else's edit is never overwritten.
	ObservedDocument string
	// KeyARN is the key a key change applies to (empty for a key created in the same run).
	KeyARN string
	// Prefixes limit a reencrypt-objects change to these key prefixes.
	Prefixes []string
	// Engine (reencrypt-objects) is EngineLocal or EngineBatch, and EngineReason says why.
	Engine       string
	EngineReason string
	// Batch is how apply creates the Batch Operations job (engine batch-operations).
	Batch *BatchConfig
	// BatchJobs are the bucket's jobs for this requirement: those of the running generation as
	// last read, or the ones apply creates.
	BatchJobs []BatchJob
	// Cost estimates what the re-encryption will cost (reencrypt-objects with counted objects, or
	// Batch Operations jobs to create).
	Cost *Cost
	// Account is the account the change is made in, in a plan over several accounts (Merge).
	Account string
}

// Rule is a bucket default encryption rule to write.
type Rule struct {
	// Algorithm is AES256 or aws:kms.
	Algorithm string
	// KeyARN is the key's ARN; empty when the key is created by another change of this plan, named
	// by Alias in Region.
	KeyARN    string
	Alias     string
	BucketKey bool
	// BlockedEncryptionTypes is written as observed unless the policy decides it
	// (enforce_on_upload blocks SSE-C); nil writes none.
	BlockedEncryptionTypes []string
}

// Grant is one statement of a policy sseguard writes, as who may (or may not) do what.
type Grant struct {
	Sid        string
	Effect     string
	Principals []string
	Actions    []string
	// Conditions are the statement's conditions in words, e.g.
	// "Bool kms:GrantIsForAWSResource true".
	Conditions []string
}

// NewKey is a customer managed key to create.
type NewKey struct {
	Alias       string
	Description string
	Tags        map[string]string
	// Policy is the whole key policy, set at creation so no moment exists where the key lacks it.
	Policy string
}

// Blocker is a reason sseguard refuses to change a bucket (or anything at all).
type Blocker struct {
	// Code is stable for scripts, e.g. "key-pending-deletion".
	Code string
	// Change, when set, is the one change this blocker stops; the bucket's other changes go on.
	// Empty means the whole bucket is stopped.
	Change string
	Bucket string
	Alias  string
	Region string
	Line   int
	// Message says what is wrong and what to do about it.
	Message string
	// Account is the account of the bucket, in a plan over several accounts (Merge).
	Account string
}

// The blocker codes.
const (
	BlockAccountMismatch   = "account-mismatch"
	BlockBucketMissing     = "bucket-missing"
	BlockRegionMismatch    = "region-mismatch"
	BlockKeyRegion         = "key-region-mismatch"
	BlockKeyOtherAccount   = "key-other-account"
	BlockKeyAWSManaged     = "key-aws-managed"
	BlockKeyPendingDelete  = "key-pending-deletion"
	BlockKeyDisabled       = "key-disabled"
	BlockKeyNotUsable      = "key-not-usable"
	BlockKeyNotFound       = "key-not-found"
	BlockObserveFailed     = "observe-failed"
	BlockPrincipalMissing  = "principal-missing"
	BlockKeyPolicyConflict = "key-policy-conflict"
	// BlockKeyUnreadable: the key policy or rotation status could not be read (access denied),
	// so the key cannot be judged.
	BlockKeyUnreadable = "key-unreadable"
	// BlockPrincipalOtherAccount: a principal the policy would grant is in an account that is
	// neither the home account nor trusted.
	BlockPrincipalOtherAccount = "principal-other-account"
	// BlockDeletedPrincipal: a policy holds a principal that was deleted (shown as its unique id):
	// AWS refuses any rewrite of it until the statement is fixed. Blocks that policy change only.
	BlockDeletedPrincipal = "policy-deleted-principal"
	// BlockAccountUnreachable: the role the policy names for the bucket's account could not be
	// assumed (or its credentials are for another account): nothing is read or changed there.
	BlockAccountUnreachable = "account-unreachable"
	// BlockBatchJobForeign: a Batch Operations job carries sseguard's description for the bucket's
	// requirement but not the shape sseguard creates. Blocks the re-encryption.
	BlockBatchJobForeign = "batch-job-foreign"
	// BlockBatchRecordInvalid: the bucket's Batch Operations record cannot be believed. Blocks
	// the re-encryption.
	BlockBatchRecordInvalid = "batch-record-invalid"
	// BlockBatchJobsFailed: the latest generation's jobs did not finish cleanly (a job Failed or
	// was Cancelled, or tasks failed) and objects are left: no new generation without a retry.
	BlockBatchJobsFailed = "batch-jobs-failed"
)

// The warning codes.
const (
	WarnObjectsSkipped = "objects-skipped"
	// WarnBatchChecked: every Batch Operations job of the requirement has ended and the check
	// scan found nothing left to fix.
	WarnBatchChecked = "batch-jobs-checked"
	// WarnBatchTooLarge: objects to fix are over the Batch Operations copy limit.
	WarnBatchTooLarge = "batch-objects-too-large"
	// WarnBatchNotCopyable: objects to copy are in storage classes no copy job takes (archives).
	WarnBatchNotCopyable = "batch-objects-not-copyable"
	// WarnBatchCopyNotLossless: the bucket gets no copy job (a copy job would drop ACL grants or
	// website redirects); the local engine copies those objects.
	WarnBatchCopyNotLossless = "batch-copy-not-lossless"
	// WarnBatchNothingToFix: the bucket's S3 Inventory shows nothing for a job to fix.
	WarnBatchNothingToFix     = "batch-nothing-to-fix"
	WarnNoncurrentVersions    = "noncurrent-versions"
	WarnObjectsUnreadable     = "objects-unreadable"
	WarnObjectsNotCompliant   = "objects-not-compliant"
	WarnObservedKeyPending    = "observed-key-pendingdeletion"
	WarnObservedKeyReplicaDel = "observed-key-pendingreplicadeletion"
	WarnObservedKeyDisabled   = "observed-key-disabled"
	WarnKeyPolicy             = "key-policy"
	WarnRotationUnsupported   = "rotation-unsupported"
	// Bucket policy findings that statements sseguard does not own leave after merging.
	WarnBucketPolicyWrongEncryption = "bucket-policy-upload-wrong-encryption-allowed"
	WarnBucketPolicyWrongKey        = "bucket-policy-upload-wrong-key-allowed"
	WarnBucketPolicyKMSWithoutKey   = "bucket-policy-upload-kms-without-key-allowed"
	WarnBucketPolicyInsecure        = "bucket-policy-insecure-transport-allowed"
	WarnBucketPolicyHeaderless      = "bucket-policy-headerless-upload-denied"
	WarnBucketPolicyCompliantDenied = "bucket-policy-compliant-upload-denied"
	WarnBucketPolicyKeyNameDenied   = "bucket-policy-upload-naming-key-denied"
	WarnBucketPolicySecureDenied    = "bucket-policy-secure-request-denied"
	WarnBucketPolicyUnjudged        = "bucket-policy-unjudged-statement"
	// WarnBucketPolicyOther is a bucket policy finding of a kind not listed above.
	WarnBucketPolicyOther = "bucket-policy-finding"
)

// bucketPolicyWarning maps iampolicy's bucket policy finding codes to warning codes.
var bucketPolicyWarning = map[string]string{
	iampolicy.CodeWrongEncryption:     WarnBucketPolicyWrongEncryption,
	iampolicy.CodeWrongKey:            WarnBucketPolicyWrongKey,
	iampolicy.CodeKMSWithoutKey:       WarnBucketPolicyKMSWithoutKey,
	iampolicy.CodeInsecureTransport:   WarnBucketPolicyInsecure,
	iampolicy.CodeHeaderlessDenied:    WarnBucketPolicyHeaderless,
	iampolicy.CodeCompliantDenied:     WarnBucketPolicyCompliantDenied,
	iampolicy.CodeKeyNameDenied:       WarnBucketPolicyKeyNameDenied,
	iampolicy.CodeSecureRequestDenied: WarnBucketPolicySecureDenied,
	iampolicy.CodeUnjudged:            WarnBucketPolicyUnjudged,
}

// Warning is worth knowing but does not stop anything.
type Warning struct {
	Code    string
	Bucket  string
	Alias   string
	Line    int
	Message string
	// Account is the account of the bucket or key, in a plan over several accounts (Merge).
	Account string
}

// Status is a bucket's verdict.
type Status string

// The bucket verdicts.
const (
	InSync  Status = "in-sync"
	Drift   Status = "drift"
	Blocked Status = "blocked"
)

// BucketStatus is one row of the plan's per-bucket table.
type BucketStatus struct {
	Name     string
	Region   string
	Line     int
	Status   Status
	Required string
	Observed string
	// Changes are the IDs of this bucket's changes (including the keys it needs).
	Changes []string
	// Objects is the existing-objects scan, when the policy asked for one.
	Objects *ObjectCounts
	// Readers are the principals that read the bucket's objects (from its bucket policy and the
	// policy file's readers) and whether they can decrypt with its key (sse-kms only).
	Readers []Reader
	// Replication is the bucket's replication configuration as judged for its key (sse-kms
	// only; nil when the bucket has none).
	Replication *Replication
	// Account is the bucket's account, in a plan over several accounts (Merge).
	Account string
}

// ObjectCounts summarises a bucket's existing objects (see state.ObjectCounts).
type ObjectCounts = state.ObjectCounts

// ObjectSample is one object in a sample.
type ObjectSample = state.ObjectSample

// Plan is everything that differs between the policy and the account.
type Plan struct {
	// PolicyPath is the policy file the plan was computed from.
	PolicyPath string
	Account    string
	Buckets    []BucketStatus
	Changes    []Change
	Blockers   []Blocker
	Warnings   []Warning
	// Unmanaged are the account's buckets the policy does not name, when it asks for them
	// (unmanaged_buckets: report); nil otherwise.
	Unmanaged *state.Unmanaged
	// Accounts are the accounts of a plan over several accounts (Merge), in the order the
	// reports show them; nil for a plan of one account.
	Accounts []string
}

// InSync reports whether there is nothing to do and nothing in the way.
func (p *Plan) InSync() bool { return len(p.Changes) == 0 && len(p.Blockers) == 0 }

// Change returns the change with id.
func (p *Plan) Change(id string) (Change, bool) {
	for _, c := range p.Changes {
		if c.ID == id {
			return c, true
		}
	}
	return Change{}, false
}

// Outcome is what happened to one change during apply.
type Outcome string

// The outcomes of a change.
const (
	// Done: the call succeeded and reading back shows the change.
	Done Outcome = "done"
	// Failed: AWS refused or the call failed; Error says why.
	Failed Outcome = "failed"
	// Skipped: not attempted, because a change it depends on failed or the run stopped.
	Skipped Outcome = "skipped"
	// Unverified: the call succeeded but reading back does not show the change.
	Unverified Outcome = "unverified"
	// Unchanged: there turned out to be nothing to do (a scan found every object compliant).
	Unchanged Outcome = "unchanged"
)

// Result is the outcome of one change.
type Result struct {
	ChangeID string
	Outcome  Outcome
	Error    string
	// Detail says what was done, e.g. the ARN of a created key.
	Detail string
	// Objects are a re-encryption's counts (objects scanned, fixed, failed, left), as the fix
	// found them.
	Objects *ObjectCounts
	// BatchJobs are the Batch Operations jobs a batch re-encryption created or found.
	BatchJobs []BatchJob
}

// Verify marks the done results whose change is still needed in after (the plan computed again
// from the state read back) as unverified, and answers how many it marked. Re-encryption of
// objects is verified object by object as it is done, not here.
func Verify(results []Result, after *Plan) int {
	n := 0
	for i, r := range results {
		if r.Outcome != Done {
			continue
		}
		if c, still := after.Change(r.ChangeID); still && c.Kind != ReencryptObjects {
			results[i].Outcome = Unverified
			results[i].Error = "the call succeeded but reading back still shows the old state"
			n++
		}
	}
	return n
}
