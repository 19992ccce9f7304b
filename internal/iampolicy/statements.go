package iampolicy

import (
	"fmt"
	"slices"
	"strings"
)

// SidPrefix starts the Sid of every statement sseguard owns. It is alphanumeric because S3 bucket
// policies accept only alphanumeric Sids. Merge replaces exactly the statements carrying it.
const SidPrefix = "Sseguard"

// Sids of the statements sseguard owns.
const (
	SidKeyAdmin              = SidPrefix + "KeyAdministration"
	SidKeyAdminDenyDelete    = SidPrefix + "KeyAdministratorsMayNotDelete"
	SidKeyUse                = SidPrefix + "KeyUse"
	SidKeyGrants             = SidPrefix + "KeyPersistentResourceGrants"
	SidDenyWrongEncryption   = SidPrefix + "DenyWrongEncryptionHeader"
	SidDenyWrongKMSKey       = SidPrefix + "DenyWrongKmsKey"
	SidDenyKMSWithoutKey     = SidPrefix + "DenyKmsWithoutKeyId"
	SidDenyInsecureTransport = SidPrefix + "DenyInsecureTransport"
	// SidApplyRole is the statement of a key sseguard created that names the role apply runs as
	// (see ApplyStatement).
	SidApplyRole = SidPrefix + "ApplyRoleManagesThisKey"
)

// ApplyRolePlaceholder stands for the principal apply runs as in the key policy of a key the plan
// creates: a plan may be computed by another role (a pull request's read-only one), so the
// principal is known only when apply writes the policy, which always substitutes it (or leaves
// the statement out when the caller cannot be named in a key policy).
const ApplyRolePlaceholder = "${sseguard:apply-role}"

// ApplyActions are what apply does to a key it created, on the key's own authority: give it its
// alias (CreateAlias is authorised on the alias and on the key), turn rotation on, write its
// policy, and find and check it again when an earlier run created it but could not name it.
// Granting these in the key policy of the keys sseguard creates is what lets the apply role's IAM
// policy grant no key management by tag: a tag can be put on anyone's key ("Controlling access to
// tags", https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html: tagging on
// CreateKey needs kms:TagResource in an IAM policy "that isn't restricted to particular KMS
// keys"), a key policy is written only by whoever may already change it.
var ApplyActions = []string{
	"kms:CreateAlias", "kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
	"kms:ListGrants", "kms:ListResourceTags", "kms:PutKeyPolicy",
}

// ApplyStatement is the key policy statement of a key sseguard creates that lets the principal
// apply runs as (a role ARN, or ApplyRolePlaceholder) do ApplyActions on that key alone.
func ApplyStatement(principal string) Statement {
	return Statement{
		Sid: SidApplyRole, Effect: EffectAllow, Principal: &Principal{AWS: []string{principal}},
		Action: append([]string(nil), ApplyActions...), Resource: []string{"*"},
	}
}

// ApplyStatements returns the statements of doc that sseguard wrote for the apply role when it
// created the key: Merge would drop them (they are owned), so a policy sseguard rewrites keeps
// them as found.
func ApplyStatements(doc *Document) []Statement {
	if doc == nil {
		return nil
	}
	var out []Statement
	for _, st := range doc.Statements {
		if st.Sid == SidApplyRole {
			out = append(out, st)
		}
	}
	return out
}

// NamesApplyRole reports whether doc holds sseguard's apply statement (SidApplyRole) allowing
// principal every one of ApplyActions, with no condition: the mark of a key sseguard created while
// running as principal.
func NamesApplyRole(doc *Document, principal string) bool {
	for _, st := range ApplyStatements(doc) {
		if st.Effect != EffectAllow || st.Principal == nil || st.Condition != nil || !slices.Contains(st.Principal.AWS, principal) {
			continue
		}
		all := true
		for _, a := range ApplyActions {
			all = all && anyGlob(st.Action, a, true)
		}
		if all {
			return true
		}
	}
	return false
}

// SidRootEnableIAMPermissions is the console's Sid for the account root statement. sseguard
// writes it for a new key but does not own it: Merge keeps it like any other foreign statement.
const SidRootEnableIAMPermissions = "Enable IAM User Permissions"

// The condition keys and values sseguard's statements use.
const (
	KeyGrantIsForAWSResource = "kms:GrantIsForAWSResource"
	KeySSEHeader             = "s3:x-amz-server-side-encryption"
	KeySSEKMSKeyIDHeader     = "s3:x-amz-server-side-encryption-aws-kms-key-id"
	KeySecureTransport       = "aws:SecureTransport"
	AlgorithmAES256          = "AES256"
	AlgorithmKMS             = "aws:kms"
)

// Action lists of the console's default key policy (and of the tutorial).
var (
	// AdminActions is the console's key administrator action list.
	AdminActions = []string{
		"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
		"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
		"kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
	}
	// AdminDeleteActions are the administrator actions that destroy a key or its key material.
	AdminDeleteActions = []string{"kms:Delete*", "kms:ScheduleKeyDeletion"}
	// UseActions is the "Allow use of the key" action list.
	UseActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
	// GrantActions is the "Allow attachment of persistent resources" action list.
	GrantActions = []string{"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
)

// KeyPolicySpec describes the key policy sseguard wants for a customer managed key.
type KeyPolicySpec struct {
	// Partition is the partition of the account (aws, aws-cn, aws-us-gov); the root ARN is built in
	// it. Empty means DefaultPartition.
	Partition        string
	Account          string
	Administrators   []string
	AllowAdminDelete bool
	// Users are the principals that use the key (the transcoder).
	Users []string
	// CloudFrontDistributions are the distribution ARNs CloudFront may use the key for (origin
	// access control); see CloudFrontStatement.
	CloudFrontDistributions []string
	// Readers are the principals that read the key's buckets through S3 (the policy file's
	// readers): they may decrypt with the key when S3 asks on their behalf in Region.
	Readers []string
	// Region is the key's region, for the readers statement's kms:ViaService condition.
	Region string
	// ApplyRole, when set, is named in the policy of a key sseguard creates (ApplyStatement).
	ApplyRole string
}

// RootStatement returns the console's "Enable IAM User Permissions" statement for the account:
// the account root may do kms:*, which delegates access to the account's IAM policies. sseguard
// does not own it (its Sid is AWS's), so Merge never removes it. The root ARN is built in partition
// (DefaultPartition when empty).
func RootStatement(partition, account string) Statement {
	return Statement{
		Sid:       SidRootEnableIAMPermissions,
		Effect:    EffectAllow,
		Principal: &Principal{AWS: []string{RootARN(partition, account)}},
		Action:    []string{"kms:*"},
		Resource:  []string{"*"},
	}
}

// KeyPolicy returns a whole key policy for a new key, shaped like the console's: the account root
// statement followed by KeyStatements(spec).
func KeyPolicy(spec KeyPolicySpec) *Document {
	return &Document{
		Version:    Version2012,
		ID:         "sseguard-key-policy",
		Statements: append([]Statement{RootStatement(spec.Partition, spec.Account)}, KeyStatements(spec)...),
	}
}

// KeyStatements returns the key policy statements sseguard owns. Principals are sorted and
// de-duplicated; a statement whose principal list is empty is left out. When AllowAdminDelete is
// false, the administrators lose kms:Delete* and kms:ScheduleKeyDeletion and are explicitly denied
// them: while the root statement delegates to IAM, an IAM policy could still grant them, and only
// an explicit Deny in the key policy overrides that.
func KeyStatements(spec KeyPolicySpec) []Statement {
	var out []Statement
	if admins := sortedUnique(spec.Administrators); len(admins) > 0 {
		actions := AdminActions
		if !spec.AllowAdminDelete {
			actions = nil
			for _, a := range AdminActions {
				if a != "kms:Delete*" && a != "kms:ScheduleKeyDeletion" {
					actions = append(actions, a)
				}
			}
		}
		out = append(out, Statement{
			Sid: SidKeyAdmin, Effect: EffectAllow, Principal: &Principal{AWS: admins},
			Action: actions, Resource: []string{"*"},
		})
		if !spec.AllowAdminDelete {
			out = append(out, Statement{
				Sid: SidKeyAdminDenyDelete, Effect: EffectDeny, Principal: &Principal{AWS: admins},
				Action: append([]string(nil), AdminDeleteActions...), Resource: []string{"*"},
			})
		}
	}
	if users := sortedUnique(spec.Users); len(users) > 0 {
		out = append(out,
			Statement{
				Sid: SidKeyUse, Effect: EffectAllow, Principal: &Principal{AWS: users},
				Action: append([]string(nil), UseActions...), Resource: []string{"*"},
			},
			Statement{
				Sid: SidKeyGrants, Effect: EffectAllow, Principal: &Principal{AWS: append([]string(nil), users...)},
				Action: append([]string(nil), GrantActions...), Resource: []string{"*"},
				Condition: map[string]map[string][]string{"Bool": {KeyGrantIsForAWSResource: {"true"}}},
			})
	}
	if rs, ok := ReadersStatement(spec.Partition, spec.Region, spec.Readers); ok {
		out = append(out, rs)
	}
	if cf, ok := CloudFrontStatement(spec.CloudFrontDistributions); ok {
		out = append(out, cf)
	}
	if spec.ApplyRole != "" {
		out = append(out, ApplyStatement(spec.ApplyRole))
	}
	return out
}

// BucketSpec describes the bucket policy protections sseguard wants for a bucket.
type BucketSpec struct {
	// Partition is the bucket's partition (aws, aws-cn, aws-us-gov): bucket and object ARNs are
	// built in it. Empty means the partition of KeyARN when that is an ARN, else DefaultPartition.
	Partition string
	Bucket    string
	// Algorithm is AlgorithmAES256 or AlgorithmKMS.
	Algorithm string
	// KeyARN is the customer managed key's ARN (aws:kms only).
	KeyARN string
	// KeyNames are the other names the key answers to, as a client may write them in the
	// x-amz-server-side-encryption-aws-kms-key-id header: its key id, alias name (alias/x) and
	// alias ARN. Uploads naming the key by any of them are let through.
	KeyNames        []string
	EnforceOnUpload bool
	RequireTLS      bool
}

func (spec BucketSpec) partition() string {
	return partitionOr(spec.Partition, spec.KeyARN)
}

// bucketARN and objectsARN are the bucket's ARN and the ARN pattern of all its objects.
func (spec BucketSpec) bucketARN() string {
	return fmt.Sprintf("arn:%s:s3:::%s", spec.partition(), spec.Bucket)
}

func (spec BucketSpec) objectsARN() string {
	return spec.bucketARN() + "/*"
}

// keyIDs returns the values the upload-enforcing Deny accepts for the key id header: the key ARN
// first, then the other names sorted, without duplicates or empty values.
func (spec BucketSpec) keyIDs() []string {
	out := []string{spec.KeyARN}
	for _, n := range sortedUnique(spec.KeyNames) {
		if n != spec.KeyARN {
			out = append(out, n)
		}
	}
	return out
}

// BucketStatements returns the bucket policy statements sseguard owns for spec.
//
// Uploads are denied only when a header is present and wrong: each Deny pairs its StringNotEquals
// with a Null check on the same key, because a negated operator is true when the request lacks the
// key, and a Deny that refuses header-less uploads also refuses every multipart UploadPart. No
// ...IfExists operator is used for the same reason. A header-less upload gets the bucket's default
// encryption.
//
// The key id Deny accepts the key however a client names it. S3's PutObject lets the
// x-amz-server-side-encryption-aws-kms-key-id header name the key by key id, key ARN or alias
// ("PutObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html: "Key ID, Key
// ARN, or Key Alias"), and the s3:x-amz-server-side-encryption-aws-kms-key-id condition key is
// compared with the policy's values as a string. S3's guide asks for the key ARN in such a
// condition ("Protecting data using server-side encryption with AWS KMS keys (SSE-KMS)", section
// "Requiring server-side encryption", https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html:
// "To specify the KMS key, you must use a key Amazon Resource Name (ARN)"), and documents no
// resolution of an alias or key id in the request before the comparison, so a Deny naming only the
// ARN can refuse a client that names the key by alias. The StringNotEquals therefore lists the
// key ARN and every other name of the key (values of one key are ORed).
func BucketStatements(spec BucketSpec) []Statement {
	var out []Statement
	objects, bucket := spec.objectsARN(), spec.bucketARN()
	if spec.EnforceOnUpload && spec.Algorithm != "" {
		out = append(out, Statement{
			Sid: SidDenyWrongEncryption, Effect: EffectDeny, Principal: &Principal{Wildcard: true},
			Action: []string{"s3:PutObject"}, Resource: []string{objects},
			Condition: map[string]map[string][]string{
				"StringNotEquals": {KeySSEHeader: {spec.Algorithm}},
				"Null":            {KeySSEHeader: {"false"}},
			},
		})
		if spec.Algorithm == AlgorithmKMS {
			out = append(out,
				Statement{
					Sid: SidDenyWrongKMSKey, Effect: EffectDeny, Principal: &Principal{Wildcard: true},
					Action: []string{"s3:PutObject"}, Resource: []string{objects},
					Condition: map[string]map[string][]string{
						"StringNotEquals": {KeySSEKMSKeyIDHeader: spec.keyIDs()},
						"Null":            {KeySSEKMSKeyIDHeader: {"false"}},
					},
				},
				// A PutObject that asks for aws:kms without a key id is encrypted under the AWS
				// managed aws/s3 key, not the bucket's customer managed key.
				Statement{
					Sid: SidDenyKMSWithoutKey, Effect: EffectDeny, Principal: &Principal{Wildcard: true},
					Action: []string{"s3:PutObject"}, Resource: []string{objects},
					Condition: map[string]map[string][]string{
						"StringEquals": {KeySSEHeader: {AlgorithmKMS}},
						"Null":         {KeySSEKMSKeyIDHeader: {"true"}},
					},
				})
		}
	}
	if spec.RequireTLS {
		out = append(out, Statement{
			Sid: SidDenyInsecureTransport, Effect: EffectDeny, Principal: &Principal{Wildcard: true},
			Action: []string{"s3:*"}, Resource: []string{bucket, objects},
			Condition: map[string]map[string][]string{"Bool": {KeySecureTransport: {"false"}}},
		})
	}
	return out
}

// KeyNamesOf returns the other names a key answers to, for BucketSpec.KeyNames: its key id (the
// last part of the key ARN), and for each alias its name (alias/x) and its alias ARN in the key's
// partition, Region and account. KMS accepts each of them wherever a key id is asked for
// ("Key identifiers (KeyId)", https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id).
// Aliases may be given as names or alias ARNs; anything else is ignored.
func KeyNamesOf(keyARN string, aliases ...string) []string {
	k, ok := parseARN(keyARN)
	if !ok || k.service != "kms" {
		return nil
	}
	var out []string
	if id, ok := strings.CutPrefix(k.resource, "key/"); ok && id != "" {
		out = append(out, id)
	}
	for _, a := range aliases {
		if p, ok := parseARN(a); ok {
			a = p.resource
		}
		if !strings.HasPrefix(a, "alias/") || len(a) == len("alias/") {
			continue
		}
		out = append(out, a, fmt.Sprintf("arn:%s:kms:%s:%s:%s", k.partition, k.region, k.account, a))
	}
	return sortedUnique(out)
}
