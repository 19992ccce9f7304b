// Package plantest holds the sample plans the views are tested on: package report's text, job
// summary and annotations, and package jsonplan's document render the same plans, so their
// goldens show one plan several ways. The plans are shaped as package plan builds them (Computed
// runs plan.Compute itself) and carry hostile values where a view must escape: object keys, AWS
// error messages, replication rule ids. Only tests import it.
package plantest

import (
	"fmt"
	"time"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Accounts, keys and principals the plans name.
const (
	Account     = "123456789012"
	Member      = "111122223333"
	Unreachable = "999988887777"
	KeyARN      = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	OldARN      = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"
	Role        = "arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role"
	Partner     = "arn:aws:iam::111122223333:role/Player"
)

// InSync is three buckets that match the policy.
func InSync() *plan.Plan {
	return &plan.Plan{PolicyPath: "sseguard.yaml", Account: Account,
		Buckets: []plan.BucketStatus{
			{Name: "media-hls", Region: "us-east-1", Line: 14, Status: plan.InSync,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-KMS alias/hls-adaptive-key (" + KeyARN + ") (bucket key)"},
			{Name: "media-source", Region: "us-east-1", Line: 26, Status: plan.InSync,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-KMS alias/hls-adaptive-key (" + KeyARN + ") (bucket key)"},
			{Name: "build-logs", Region: "eu-west-1", Line: 35, Status: plan.InSync,
				Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"},
		},
		Changes: []plan.Change{}, Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
}

// Drift is a plan with changes to a key and two buckets, a warning, and an object scan whose
// keys try every trick a key can play on a markdown table.
func Drift() *plan.Plan {
	return &plan.Plan{PolicyPath: "infra/sseguard.yaml", Account: Account,
		Buckets: []plan.BucketStatus{
			{Name: "media-hls", Region: "us-east-1", Line: 14, Status: plan.Drift,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-S3 (AES256)",
				Changes: []string{"update-key-policy/us-east-1/alias/hls-adaptive-key", "enable-key-rotation/us-east-1/alias/hls-adaptive-key",
					"set-default-encryption/media-hls", "update-bucket-policy/media-hls", "reencrypt-objects/media-hls"},
				Objects: &plan.ObjectCounts{Scanned: 1200, Compliant: 1150,
					ToFix:   map[string]int{"sse-s3": 41, "unencrypted": 6},
					Skipped: map[string]int{"glacier-not-restored": 2, "sse-c": 1}, Noncurrent: 17,
					Sample: []plan.ObjectSample{
						{Key: "videos/intro|1080p.m3u8", Kind: "sse-s3", Observed: "AES256"},
						{Key: "videos/`rm -rf`/<script>alert(1)</script>.ts", Kind: "unencrypted"},
						{Key: "videos/@octocat [click](https://evil.example/x) **bold**", Kind: "sse-s3", Observed: "AES256"},
						{Key: "# heading\n| forged | row |\u202etxt.exe", Kind: "sse-s3", Observed: "AES256"},
						{Key: "videos/a\\|b &amp; $x$ www.example.com ~~gone~~", Kind: "unencrypted"},
						{Key: "not shown: only five samples per bucket", Kind: "sse-s3"},
					}}},
			{Name: "media-source", Region: "us-east-1", Line: 26, Status: plan.Drift,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-KMS alias/hls-adaptive-key (" + KeyARN + ")",
				Changes: []string{"enable-bucket-key/media-source"}},
			{Name: "build-logs", Region: "eu-west-1", Line: 35, Status: plan.InSync,
				Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"},
		},
		Changes: []plan.Change{
			{ID: "update-key-policy/us-east-1/alias/hls-adaptive-key", Kind: plan.UpdateKeyPolicy, Alias: "alias/hls-adaptive-key",
				Region: "us-east-1", Line: 5, KeyARN: KeyARN,
				Before: "transcoder role lacks use of the key", After: "statements SseguardTranscoderUse, SseguardTranscoderGrants",
				Details: []string{
					Role + " gains kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey",
					Role + " gains kms:CreateGrant, kms:ListGrants, kms:RevokeGrant when kms:GrantIsForAWSResource is true",
					"arn:aws:iam::123456789012:role/KeyAdmin is denied kms:ScheduleKeyDeletion",
				}},
			{ID: "enable-key-rotation/us-east-1/alias/hls-adaptive-key", Kind: plan.EnableKeyRotation, Alias: "alias/hls-adaptive-key",
				Region: "us-east-1", Line: 5, KeyARN: KeyARN, Before: "rotation off", After: "rotation on (yearly)"},
			{ID: "enable-bucket-key/media-source", Kind: plan.EnableBucketKey, Bucket: "media-source", Region: "us-east-1", Line: 26,
				Before: "SSE-KMS alias/hls-adaptive-key (" + KeyARN + ")", After: "SSE-KMS alias/hls-adaptive-key (bucket key)"},
			{ID: "set-default-encryption/media-hls", Kind: plan.SetDefaultEncryption, Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/hls-adaptive-key (bucket key)"},
			{ID: "update-bucket-policy/media-hls", Kind: plan.UpdateBucketPolicy, Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Before: "no sseguard statements", After: "statements SseguardDenyOtherEncryption, SseguardDenyInsecureTransport",
				Details: []string{"deny s3:PutObject when x-amz-server-side-encryption is present and not aws:kms",
					"deny every request when aws:SecureTransport is false"}},
			{ID: "reencrypt-objects/media-hls", Kind: plan.ReencryptObjects, Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Before: "47 objects not under alias/hls-adaptive-key", After: "SSE-KMS alias/hls-adaptive-key (bucket key)"},
		},
		Blockers: []plan.Blocker{},
		Warnings: []plan.Warning{
			{Code: "noncurrent-versions", Bucket: "media-hls", Line: 14,
				Message: "17 noncurrent versions keep their old encryption; sseguard never deletes a version"},
		}}
}

// Blockers is Drift plus a bucket whose key is pending deletion, one whose key is disabled,
// and one in another region than the policy says.
func Blockers() *plan.Plan {
	p := Drift()
	p.Buckets = append(p.Buckets,
		plan.BucketStatus{Name: "media-archive", Region: "us-east-1", Line: 44, Status: plan.Blocked,
			Required: "SSE-KMS alias/archive-key (bucket key)", Observed: "SSE-KMS alias/archive-key (" + OldARN + ") (bucket key)"},
		plan.BucketStatus{Name: "media-thumbs", Region: "us-east-1", Line: 52, Status: plan.Blocked,
			Required: "SSE-KMS alias/thumbs-key (bucket key)", Observed: "SSE-S3 (AES256)"},
		plan.BucketStatus{Name: "media-eu", Region: "eu-central-1", Line: 60, Status: plan.Blocked,
			Required: "SSE-S3 (AES256)", Observed: "unknown"},
	)
	p.Blockers = []plan.Blocker{
		{Code: plan.BlockKeyPendingDelete, Bucket: "media-archive", Alias: "alias/archive-key", Region: "us-east-1", Line: 44,
			Message: "KEY alias/archive-key (" + OldARN + ") IS PENDING DELETION: once deleted, every object encrypted under it becomes unreadable for good. Cancel the deletion (aws kms cancel-key-deletion --key-id 0987dcba-09fe-87dc-65ba-ab0987654321, then enable the key) before anything else"},
		{Code: plan.BlockKeyDisabled, Bucket: "media-thumbs", Alias: "alias/thumbs-key", Region: "us-east-1", Line: 52,
			Message: "KEY alias/thumbs-key (arn:aws:kms:us-east-1:123456789012:key/5555eeee-55ee-55ee-55ee-5555eeee5555) IS DISABLED: objects encrypted under it cannot be read or written until it is enabled again (aws kms enable-key --key-id 5555eeee-55ee-55ee-55ee-5555eeee5555)"},
		{Code: plan.BlockRegionMismatch, Bucket: "media-eu", Region: "eu-central-1", Line: 60,
			Message: "the policy says bucket media-eu is in eu-west-1 but it is in eu-central-1"},
	}
	return p
}

// Applied is Drift after apply: one change failed with an AWS error, one was skipped because
// it depends on it.
func Applied() (*plan.Plan, []plan.Result) {
	p := Drift()
	p.Buckets[0].Objects.Fixed = 40
	p.Buckets[0].Objects.Failed = 0
	p.Buckets[0].Objects.Remaining = 7
	return p, []plan.Result{
		{ChangeID: "update-key-policy/us-east-1/alias/hls-adaptive-key", Outcome: plan.Done},
		{ChangeID: "enable-key-rotation/us-east-1/alias/hls-adaptive-key", Outcome: plan.Done},
		{ChangeID: "enable-bucket-key/media-source", Outcome: plan.Done, Detail: "read back: SSE-KMS " + KeyARN + " (bucket key)"},
		{ChangeID: "set-default-encryption/media-hls", Outcome: plan.Done},
		{ChangeID: "update-bucket-policy/media-hls", Outcome: plan.Failed,
			Error: "put bucket policy of media-hls: operation error S3: PutBucketPolicy, https response error StatusCode: 403, RequestID: 4KDRW2S7C3XHTE8T, api error AccessDenied: User: arn:aws:sts::123456789012:assumed-role/sseguard-apply/GitHubActions is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::media-hls\" because public policies are blocked by the BlockPublicPolicy block public access setting."},
		{ChangeID: "reencrypt-objects/media-hls", Outcome: plan.Skipped, Detail: "budget reached after 40 objects: 7 left for the next run"},
	}
}

// Huge is an account with thousands of drifted buckets: its full summary is over the cap.
func Huge() *plan.Plan {
	p := &plan.Plan{PolicyPath: "sseguard.yaml", Account: Account,
		Changes: []plan.Change{}, Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
	for i := range 6000 {
		name := fmt.Sprintf("tenant-%05d-media", i)
		line := 20 + i*8
		st := plan.BucketStatus{Name: name, Region: "us-east-1", Line: line, Required: "SSE-KMS alias/tenants (bucket key)"}
		switch {
		case i%1000 == 999:
			st.Status = plan.Blocked
			st.Observed = "bucket does not exist"
			p.Blockers = append(p.Blockers, plan.Blocker{Code: plan.BlockBucketMissing, Bucket: name, Region: "us-east-1", Line: line,
				Message: "bucket " + name + " does not exist (or is not visible to these credentials)"})
		case i%3 == 0:
			st.Status = plan.InSync
			st.Observed = "SSE-KMS alias/tenants (" + KeyARN + ") (bucket key)"
		default:
			st.Status = plan.Drift
			st.Observed = "SSE-S3 (AES256)"
			id := "set-default-encryption/" + name
			st.Changes = []string{id}
			p.Changes = append(p.Changes, plan.Change{ID: id, Kind: plan.SetDefaultEncryption, Bucket: name, Region: "us-east-1",
				Line: line, Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/tenants (bucket key)"})
		}
		p.Buckets = append(p.Buckets, st)
	}
	return p
}

// Computed are plans computed (by the real plan.Compute) from literal states.
func Computed() map[string]*plan.Plan {
	const acct = "111122223333"
	keyARN := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	pol := &policy.Policy{Path: "sseguard.yaml", Keys: []policy.Key{{Alias: "alias/hls", Description: "Videos", Rotation: true, Pos: policy.Pos{Line: 4}}},
		Buckets: []policy.Bucket{
			{Name: "media-hls", Encryption: policy.SSEKMS, KMSKey: "alias/hls", BucketKey: true, Pos: policy.Pos{Line: 9}},
			{Name: "thumbs", Encryption: policy.SSES3, Pos: policy.Pos{Line: 14}},
			{Name: "gone", Encryption: policy.SSES3, Pos: policy.Pos{Line: 17}},
			{Name: "archive", Encryption: policy.SSEKMS, KMSKey: "alias/old", BucketKey: true, Pos: policy.Pos{Line: 20}},
		}}
	drift := &state.State{Account: acct,
		Buckets: map[string]*state.Bucket{
			"media-hls": {Name: "media-hls", Exists: true, Region: "us-east-1", Encryption: &state.Rule{Algorithm: "AES256"}},
			"thumbs":    {Name: "thumbs", Exists: true, Region: "us-east-1", Encryption: &state.Rule{Algorithm: "aws:kms"}},
			"gone":      {Name: "gone"},
			"archive":   {Name: "archive", Exists: true, Region: "us-east-1"},
		},
		Keys: map[state.KeyRef]*state.Key{
			{Region: "us-east-1", Ref: "alias/hls"}: {Found: false},
			{Region: "us-east-1", Ref: "alias/old"}: {Found: true, ARN: keyARN, ID: "1234abcd-12ab-34cd-56ef-1234567890ab", Account: acct,
				Region: "us-east-1", State: "PendingDeletion", Manager: "CUSTOMER"},
		}}
	inSyncPol := &policy.Policy{Path: "sseguard.yaml", Buckets: pol.Buckets[1:2]}
	inSync := &state.State{Account: acct, Buckets: map[string]*state.Bucket{
		"thumbs": {Name: "thumbs", Exists: true, Region: "us-east-1", Encryption: &state.Rule{Algorithm: "AES256"}}}}
	return map[string]*plan.Plan{
		"drift":   plan.Compute(pol, drift),
		"in-sync": plan.Compute(inSyncPol, inSync),
	}
}

// Accounts is a plan over three accounts: the home account drifts, a member is in sync, and
// one could not be reached.
func Accounts() *plan.Plan {
	member := InSync()
	member.Account = Member
	member.Buckets = member.Buckets[:1]
	pol := &policy.Policy{Path: "sseguard.yaml", Buckets: []policy.Bucket{{Name: "far-logs", Encryption: policy.SSES3, Pos: policy.Pos{Line: 30}}}}
	far := plan.Unreachable(pol, Unreachable, "sts:AssumeRole of arn:aws:iam::999988887777:role/sseguard was refused: AccessDenied: not authorized")
	return plan.Merge(Account, Drift(), member, far)
}

// Readers is a plan that moves media-hls to its key: a partner role keeps access through
// readers, a public grant would lose it (blocked), an origin access identity's loss is accepted,
// and a replication rule, whose id tries markdown, a mention, HTML and a workflow command, lacks
// the SSE-KMS opt-in (blocked).
func Readers() *plan.Plan {
	p := Drift()
	p.Buckets = p.Buckets[:1]
	b := &p.Buckets[0]
	b.Status, b.Changes = plan.Blocked, nil
	b.Readers = []plan.Reader{
		{Principal: "*", Kind: "public", Statements: []string{"statement #2"}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderCannotDecrypt,
			Reason: "the key policy does not allow it kms:Decrypt"},
		{Principal: Partner, Kind: "principal", Statements: []string{`statement "PartnerRead"`}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderCanDecrypt, Listed: true},
		{Principal: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL", Kind: "origin-access-identity",
			Statements: []string{`statement "LegacyOAI"`}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderLossAccepted,
			Reason: "an origin access identity cannot decrypt SSE-KMS objects (CloudFront's origin access control can)"},
		{Principal: "logging.s3.amazonaws.com", Kind: "service", Statements: []string{`statement "S3ServerAccessLogsPolicy"`}, Needs: []string{"kms:GenerateDataKey"},
			Verdict: plan.ReaderCanDecrypt},
	}
	b.Replication = &plan.Replication{Role: "arn:aws:iam::123456789012:role/replication", Rules: []plan.ReplicationRule{
		{ID: "dr|<img src=x>@ops\n::warning::x", Priority: 1, Status: "Enabled", Filter: "prefix videos/", Destination: "arn:aws:s3:::media-hls-dr",
			WantReplicaKey: "arn:aws:kms:us-west-2:123456789012:key/dr",
			Lacks: []string{"the SSE-KMS opt-in (SourceSelectionCriteria.SseKmsEncryptedObjects Status Enabled): without it S3 does not replicate SSE-KMS objects",
				"the key for replicas (Destination.EncryptionConfiguration.ReplicaKmsKeyID): set it to arn:aws:kms:us-west-2:123456789012:key/dr, the key the policy file wants for media-hls-dr"}},
		{ID: "archive", Status: "Disabled", Destination: "arn:aws:s3:::media-archive"},
	}}
	p.Changes = []plan.Change{}
	p.Warnings = nil
	p.Blockers = []plan.Blocker{
		{Code: plan.BlockReaderCannotDecrypt, Bucket: "media-hls", Region: "us-east-1", Line: 14,
			Message: `everyone (a bucket policy grant to "*"): * may read the objects of media-hls (bucket policy statement #2) but could not once they are encrypted under alias/hls-adaptive-key: the key policy does not allow it kms:Decrypt. To keep it, narrow the bucket policy statement to the principals that must read; if its loss is intended, list "*" under accept_lost_readers`},
		{Code: plan.BlockReplicationKMS, Bucket: "media-hls", Region: "us-east-1", Line: 14,
			Message: "replication rule \"dr|<img src=x>@ops\\n::warning::x\" (priority 1) of media-hls (to arn:aws:s3:::media-hls-dr) would stop replicating the bucket's new objects once they are encrypted under alias/hls-adaptive-key: it lacks the SSE-KMS opt-in"},
	}
	return p
}

// Unmanaged is an in-sync plan whose policy asks for the account's other buckets: SSE-KMS,
// SSE-S3, none, and one whose encryption could not be read, with an AWS error message that tries
// markdown, a mention, a workflow command and a line break.
func Unmanaged() *plan.Plan {
	p := InSync()
	p.Unmanaged = &state.Unmanaged{Regions: []string{"eu-west-1", "us-east-1"}, Buckets: []state.UnmanagedBucket{
		{Name: "analytics-raw", Region: "us-east-1", Rule: &state.Rule{Algorithm: "aws:kms", KeyRef: OldARN, BucketKey: true}},
		{Name: "legacy-uploads", Region: "eu-west-1"},
		{Name: "locked-down", Region: "us-east-1",
			Err: "read default encryption: s3:GetEncryptionConfiguration was refused: api error AccessDenied: <b>|x|</b> @admin\n::error::pwned"},
		{Name: "website", Region: "us-east-1", Rule: &state.Rule{Algorithm: "AES256"}},
	}}
	return p
}

// BatchDrift is the drift plan with media-hls's re-encryption handed to S3 Batch Operations: one job
// running with a failure reason quoting hostile text (AWS's words are untrusted), one awaiting
// confirmation, and the CloudFront warning for an origin access identity.
func BatchDrift() *plan.Plan {
	p := Drift()
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Kind != plan.ReencryptObjects {
			continue
		}
		c.Engine, c.EngineReason = plan.EngineBatch, "engine: batch-operations in the policy"
		c.Batch = &plan.BatchConfig{RoleARN: "arn:aws:iam::123456789012:role/sseguard-batch", ReportBucket: "media-reports",
			ReportPrefix: "sseguard/", ConfirmationRequired: true, Priority: 10, Revision: "3f2a9c1d8e7b"}
		c.BatchJobs = []plan.BatchJob{
			{Operation: plan.OpUpdateEncryption, Filter: "SSE-S3", ID: "a1b2c3d4-0000-4000-8000-000000000001", Status: "Active",
				Created: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Total: 1200, Succeeded: 600, Failed: 2,
				FailureReasons: []string{"AccessDenied <img src=x onerror=alert(1)> @admin\n::error::pwned"},
				Report:         "s3://media-reports/sseguard/media-hls/job-a1b2c3d4-0000-4000-8000-000000000001/manifest.json",
				FailedTasks:    []plan.FailedTask{{Key: "videos/<script>x</script>\n::warning::k.ts", ErrorCode: "AccessDenied", HTTPStatus: "403", Message: "Access Denied"}}},
			{Operation: plan.OpCopy, Filter: "NOT-SSE", StorageClass: "STANDARD_IA", MaxObjectSize: plan.MaxBatchCopySize, ID: "a1b2c3d4-0000-4000-8000-000000000002",
				Status: "Suspended", AwaitingConfirmation: true,
				ConfirmCommand: "aws s3control update-job-status --account-id 123456789012 --job-id a1b2c3d4-0000-4000-8000-000000000002 --requested-job-status Ready"},
		}
		for _, j := range c.BatchJobs {
			c.Details = append(c.Details, "Batch Operations "+j.Summary(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)))
		}
		c.Cost = &plan.Cost{Engine: plan.EngineBatch, Basis: "S3 Inventory <b>daily</b> @team created 2026-11-28T00:00:00Z", USD: 1.26,
			Items: []plan.CostItem{
				{What: "Batch Operations jobs to create", Count: 1, UnitUSD: 0.25, USD: 0.25},
				{What: "Batch Operations object operations", Count: 1_000_000, UnitUSD: 0.000001, USD: 1},
				{What: "KMS requests (at most: S3 Bucket Keys make S3 call KMS far less often)", Count: 3, UnitUSD: 0.000003, USD: 0.00001, UpTo: true},
			},
			Notes:  []string{"manifest generation is not priced"},
			Prices: "prices of us-east-1 as of 2026-12-07 (https://aws.amazon.com/s3/pricing/, https://aws.amazon.com/kms/pricing/; override with --prices)"}
	}
	p.Warnings = append(p.Warnings, plan.Warning{Code: plan.WarnCloudFrontOAI, Bucket: "media-hls", Line: 14,
		Message: "the bucket policy of media-hls grants CloudFront origin access identity E2EXAMPLE, but the bucket is SSE-KMS: downloads through it fail"})
	return p
}
