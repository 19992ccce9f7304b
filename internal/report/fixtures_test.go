package report

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sseguard/sseguard/internal/golden"
	"github.com/sseguard/sseguard/internal/plan"
)

const (
	fxAccount = "123456789012"
	fxKeyARN  = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	fxOldARN  = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"
	fxRole    = "arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role"
)

// mdGolden compares got with testdata/<dir>/<name>, or rewrites it with -update.
func mdGolden(t *testing.T, dir, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", dir, name), got)
}

// fxInSync is three buckets that match the policy.
func fxInSync() *plan.Plan {
	return &plan.Plan{PolicyPath: "sseguard.yaml", Account: fxAccount,
		Buckets: []plan.BucketStatus{
			{Name: "media-hls", Region: "us-east-1", Line: 14, Status: plan.InSync,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-KMS alias/hls-adaptive-key (" + fxKeyARN + ") (bucket key)"},
			{Name: "media-source", Region: "us-east-1", Line: 26, Status: plan.InSync,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-KMS alias/hls-adaptive-key (" + fxKeyARN + ") (bucket key)"},
			{Name: "build-logs", Region: "eu-west-1", Line: 35, Status: plan.InSync,
				Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"},
		},
		Changes: []plan.Change{}, Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
}

// fxDrift is a plan with changes to a key and two buckets, a warning, and an object scan whose
// keys try every trick a key can play on a markdown table.
func fxDrift() *plan.Plan {
	return &plan.Plan{PolicyPath: "infra/sseguard.yaml", Account: fxAccount,
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
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-KMS alias/hls-adaptive-key (" + fxKeyARN + ")",
				Changes: []string{"enable-bucket-key/media-source"}},
			{Name: "build-logs", Region: "eu-west-1", Line: 35, Status: plan.InSync,
				Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"},
		},
		Changes: []plan.Change{
			{ID: "update-key-policy/us-east-1/alias/hls-adaptive-key", Kind: plan.UpdateKeyPolicy, Alias: "alias/hls-adaptive-key",
				Region: "us-east-1", Line: 5, KeyARN: fxKeyARN,
				Before: "transcoder role lacks use of the key", After: "statements SseguardTranscoderUse, SseguardTranscoderGrants",
				Details: []string{
					fxRole + " gains kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey",
					fxRole + " gains kms:CreateGrant, kms:ListGrants, kms:RevokeGrant when kms:GrantIsForAWSResource is true",
					"arn:aws:iam::123456789012:role/KeyAdmin is denied kms:ScheduleKeyDeletion",
				}},
			{ID: "enable-key-rotation/us-east-1/alias/hls-adaptive-key", Kind: plan.EnableKeyRotation, Alias: "alias/hls-adaptive-key",
				Region: "us-east-1", Line: 5, KeyARN: fxKeyARN, Before: "rotation off", After: "rotation on (yearly)"},
			{ID: "enable-bucket-key/media-source", Kind: plan.EnableBucketKey, Bucket: "media-source", Region: "us-east-1", Line: 26,
				Before: "SSE-KMS alias/hls-adaptive-key (" + fxKeyARN + ")", After: "SSE-KMS alias/hls-adaptive-key (bucket key)"},
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

// fxBlockers is fxDrift plus a bucket whose key is pending deletion, one whose key is disabled,
// and one in another region than the policy says.
func fxBlockers() *plan.Plan {
	p := fxDrift()
	p.Buckets = append(p.Buckets,
		plan.BucketStatus{Name: "media-archive", Region: "us-east-1", Line: 44, Status: plan.Blocked,
			Required: "SSE-KMS alias/archive-key (bucket key)", Observed: "SSE-KMS alias/archive-key (" + fxOldARN + ") (bucket key)"},
		plan.BucketStatus{Name: "media-thumbs", Region: "us-east-1", Line: 52, Status: plan.Blocked,
			Required: "SSE-KMS alias/thumbs-key (bucket key)", Observed: "SSE-S3 (AES256)"},
		plan.BucketStatus{Name: "media-eu", Region: "eu-central-1", Line: 60, Status: plan.Blocked,
			Required: "SSE-S3 (AES256)", Observed: "unknown"},
	)
	p.Blockers = []plan.Blocker{
		{Code: plan.BlockKeyPendingDelete, Bucket: "media-archive", Alias: "alias/archive-key", Region: "us-east-1", Line: 44,
			Message: "KEY alias/archive-key (" + fxOldARN + ") IS PENDING DELETION: once deleted, every object encrypted under it becomes unreadable for good. Cancel the deletion (aws kms cancel-key-deletion --key-id 0987dcba-09fe-87dc-65ba-ab0987654321, then enable the key) before anything else"},
		{Code: plan.BlockKeyDisabled, Bucket: "media-thumbs", Alias: "alias/thumbs-key", Region: "us-east-1", Line: 52,
			Message: "KEY alias/thumbs-key (arn:aws:kms:us-east-1:123456789012:key/5555eeee-55ee-55ee-55ee-5555eeee5555) IS DISABLED: objects encrypted under it cannot be read or written until it is enabled again (aws kms enable-key --key-id 5555eeee-55ee-55ee-55ee-5555eeee5555)"},
		{Code: plan.BlockRegionMismatch, Bucket: "media-eu", Region: "eu-central-1", Line: 60,
			Message: "the policy says bucket media-eu is in eu-west-1 but it is in eu-central-1"},
	}
	return p
}

// fxApplied is fxDrift after apply: one change failed with an AWS error, one was skipped because
// it depends on it.
func fxApplied() (*plan.Plan, []plan.Result) {
	p := fxDrift()
	p.Buckets[0].Objects.Fixed = 40
	p.Buckets[0].Objects.Failed = 0
	p.Buckets[0].Objects.Remaining = 7
	return p, []plan.Result{
		{ChangeID: "update-key-policy/us-east-1/alias/hls-adaptive-key", Outcome: plan.Done},
		{ChangeID: "enable-key-rotation/us-east-1/alias/hls-adaptive-key", Outcome: plan.Done},
		{ChangeID: "enable-bucket-key/media-source", Outcome: plan.Done, Detail: "read back: SSE-KMS " + fxKeyARN + " (bucket key)"},
		{ChangeID: "set-default-encryption/media-hls", Outcome: plan.Done},
		{ChangeID: "update-bucket-policy/media-hls", Outcome: plan.Failed,
			Error: "put bucket policy of media-hls: operation error S3: PutBucketPolicy, https response error StatusCode: 403, RequestID: 4KDRW2S7C3XHTE8T, api error AccessDenied: User: arn:aws:sts::123456789012:assumed-role/sseguard-apply/GitHubActions is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::media-hls\" because public policies are blocked by the BlockPublicPolicy block public access setting."},
		{ChangeID: "reencrypt-objects/media-hls", Outcome: plan.Skipped, Detail: "budget reached after 40 objects: 7 left for the next run"},
	}
}

// fxHuge is an account with thousands of drifted buckets: its full summary is over the cap.
func fxHuge() *plan.Plan {
	p := &plan.Plan{PolicyPath: "sseguard.yaml", Account: fxAccount,
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
			st.Observed = "SSE-KMS alias/tenants (" + fxKeyARN + ") (bucket key)"
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
