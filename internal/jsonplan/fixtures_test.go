package jsonplan

import (
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/plan/plantest"
	"github.com/sseguard/sseguard/internal/state"
)

// testVersion is the sseguard version every document of these tests says it was written by: the
// goldens hold it, never the version of the build that runs the tests.
const testVersion = "v1.2.3"

// testOptions are the options of a document in mode written by testVersion.
func testOptions(mode plan.Mode) Options { return Options{Mode: mode, Version: testVersion} }

const (
	fxBucketPolicyBefore = `{"Version":"2012-10-17","Statement":[{"Sid":"SseguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::build-logs","arn:aws:s3:::build-logs/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	fxBucketPolicyAfter  = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "SseguardDenyInsecureTransport",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::media-hls",
        "arn:aws:s3:::media-hls/*"
      ],
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "false"
        }
      }
    }
  ]
}
`
	fxKeyPolicyBefore = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	fxKeyPolicyAfter  = `{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::123456789012:root"
      },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "SseguardTranscoderUse",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role"
      },
      "Action": [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*"
      ],
      "Resource": "*"
    }
  ]
}
`
)

// fxPolicies is a plan with a change of every kind, shaped as package plan builds them, with the fields
// the JSON plan's structured values come from: a key created with tags and its rotation, an
// existing key's policy rewritten and its rotation turned on, a bucket switched to the new key,
// another given a bucket key, one bucket policy written where there was none and another
// deleted, objects re-encrypted with and without counts, a blocker that stops one change, and
// warnings about a key and a bucket policy.
func fxPolicies() *plan.Plan {
	const newKey, existingKey = "alias/hls-adaptive-key", "alias/logs-key"
	rootGrant := plan.Grant{Sid: "Enable IAM User Permissions", Effect: "Allow", Principals: []string{"arn:aws:iam::123456789012:root"}, Actions: []string{"kms:*"}}
	useGrant := plan.Grant{Sid: "SseguardTranscoderUse", Effect: "Allow", Principals: []string{plantest.Role},
		Actions: []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}}
	newRule := &plan.Rule{Algorithm: "aws:kms", Alias: newKey, BucketKey: true, BlockedEncryptionTypes: []string{"SSE-C"}}
	logsRule := &plan.Rule{Algorithm: "aws:kms", KeyARN: plantest.KeyARN, BucketKey: true}
	createID := "create-key/us-east-1/" + newKey
	rotateNewID := "enable-key-rotation/us-east-1/" + newKey
	keyPolicyID := "update-key-policy/us-east-1/" + plantest.KeyARN
	return &plan.Plan{PolicyPath: "sseguard.yaml", Account: plantest.Account,
		Buckets: []plan.BucketStatus{
			{Name: "media-hls", Region: "us-east-1", Line: 14, Status: plan.Drift,
				Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-S3 (AES256)",
				Changes: []string{createID, rotateNewID, "set-default-encryption/media-hls", "update-bucket-policy/media-hls", "reencrypt-objects/media-hls"}},
			{Name: "build-logs", Region: "us-east-1", Line: 30, Status: plan.Drift,
				Required: "SSE-KMS alias/logs-key (bucket key)", Observed: "SSE-KMS " + plantest.KeyARN,
				Changes: []string{keyPolicyID, "enable-key-rotation/us-east-1/" + plantest.KeyARN, "enable-bucket-key/build-logs",
					"update-bucket-policy/build-logs", "reencrypt-objects/build-logs"},
				Objects: &plan.ObjectCounts{Scanned: 310, Compliant: 2, ToFix: map[string]int{"bucket-key-off": 300, "other-kms-key": 7},
					Skipped: map[string]int{"object-lock": 1}, Sample: []plan.ObjectSample{
						{Key: "2024/01/01/app.log", Kind: "bucket-key-off", Observed: "aws:kms " + plantest.KeyARN},
						{Key: "2024/01/02/app.log", Kind: "skipped (object-lock)", Observed: "aws:kms " + plantest.KeyARN},
					}}},
		},
		Changes: []plan.Change{
			{ID: createID, Kind: plan.CreateKey, Alias: newKey, Region: "us-east-1", Line: 5,
				Before: "no key", After: "customer managed key " + newKey + ": HLS renditions",
				Details: []string{"added statement Enable IAM User Permissions: principal arn:aws:iam::123456789012:root gains kms:*"},
				Grants:  []plan.Grant{rootGrant, useGrant},
				Key: &plan.NewKey{Alias: newKey, Description: "HLS renditions", Tags: map[string]string{"team": "media", "cost-center": "42"},
					Policy: fxKeyPolicyAfter}},
			{ID: keyPolicyID, Kind: plan.UpdateKeyPolicy, Alias: existingKey, Region: "us-east-1", Line: 8, KeyARN: plantest.KeyARN,
				Before: "transcoder role lacks use of the key", After: "statements SseguardTranscoderUse",
				Details: []string{plantest.Role + " gains kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey"},
				Grants:  []plan.Grant{rootGrant, useGrant}, Document: fxKeyPolicyAfter, ObservedDocument: fxKeyPolicyBefore},
			{ID: rotateNewID, Kind: plan.EnableKeyRotation, Alias: newKey, Region: "us-east-1", Line: 5, DependsOn: []string{createID},
				Before: "new key", After: "automatic rotation on (yearly)"},
			{ID: "enable-key-rotation/us-east-1/" + plantest.KeyARN, Kind: plan.EnableKeyRotation, Alias: existingKey, Region: "us-east-1", Line: 8,
				KeyARN: plantest.KeyARN, Before: "rotation off", After: "automatic rotation on (yearly)"},
			{ID: "enable-bucket-key/build-logs", Kind: plan.EnableBucketKey, Bucket: "build-logs", Region: "us-east-1", Line: 30,
				Before: "SSE-KMS " + plantest.KeyARN, After: "SSE-KMS alias/logs-key (bucket key)", Rule: logsRule, DependsOn: []string{keyPolicyID}},
			{ID: "set-default-encryption/media-hls", Kind: plan.SetDefaultEncryption, Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/hls-adaptive-key (bucket key), SSE-C uploads blocked", Rule: newRule,
				ObservedRule: &state.Rule{Algorithm: "AES256"}, DependsOn: []string{createID, rotateNewID}},
			{ID: "update-bucket-policy/build-logs", Kind: plan.UpdateBucketPolicy, Bucket: "build-logs", Region: "us-east-1", Line: 30,
				Before: "statements sseguard added earlier, no longer asked for",
				After:  "bucket policy deleted: it held only sseguard's statements, and S3 refuses a policy with none",
				Rule:   logsRule, DeleteDocument: true, ObservedDocument: fxBucketPolicyBefore},
			{ID: "update-bucket-policy/media-hls", Kind: plan.UpdateBucketPolicy, Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Before: "no bucket policy", After: "statements SseguardDenyInsecureTransport", Rule: newRule,
				Document: fxBucketPolicyAfter, DependsOn: []string{createID, rotateNewID}},
			{ID: "reencrypt-objects/build-logs", Kind: plan.ReencryptObjects, Bucket: "build-logs", Region: "us-east-1", Line: 30,
				Before: "307 of 310 objects not as required (300 bucket-key-off, 7 other-kms-key)",
				After:  "every object SSE-KMS alias/logs-key (bucket key) under 2024/", Rule: logsRule, Prefixes: []string{"2024/"},
				Details: []string{"bucket-key-off: 2024/01/01/app.log"}, DependsOn: []string{"update-bucket-policy/build-logs"}},
			{ID: "reencrypt-objects/media-hls", Kind: plan.ReencryptObjects, Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Before: "existing objects (apply scans and re-encrypts them in one pass)",
				After:  "every object SSE-KMS alias/hls-adaptive-key (bucket key)", Rule: newRule,
				DependsOn: []string{createID, rotateNewID, "update-bucket-policy/media-hls"}},
		},
		Blockers: []plan.Blocker{
			{Code: plan.BlockDeletedPrincipal, Change: "update-bucket-policy/media-hls", Bucket: "media-hls", Region: "us-east-1", Line: 14,
				Message: "the bucket policy of media-hls names a deleted principal (AROAEXAMPLEID): fix that statement first"},
		},
		Warnings: []plan.Warning{
			{Code: plan.WarnKeyPolicy, Alias: existingKey, Line: 8, Message: "key policy of " + plantest.KeyARN + ": kms:* is granted to everyone in the account"},
			{Code: plan.WarnBucketPolicyInsecure, Bucket: "media-hls", Line: 14,
				Message: "bucket policy of media-hls: requests over HTTP are allowed (from a statement sseguard does not own; left as it is)"},
		}}
}

// fxFindings is a stream of object findings as the pipeline writes them: one JSON object a line,
// a blank line, a key with control characters and markup, and a field the document does not
// have (dropped).
const fxFindings = `{"bucket":"media-hls","key":"videos/intro|1080p.m3u8","kind":"sse-s3","observed":"AES256","size":1048576,"etag":"\"9b2cf535f27731c974343645a3985328\"","action":"would-fix"}

{"bucket":"media-hls","key":"# heading\n| forged | row |\u202etxt.exe","version_id":"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY","kind":"unencrypted","size":0,"action":"would-fix"}
{"bucket":"media-hls","key":"archive/2019.ts","kind":"skipped","reason":"glacier-not-restored","observed":"AES256","size":52428800,"action":"skipped","error":"storage class GLACIER, not restored"}
{"bucket":"media-hls","key":"videos/<script>alert(1)</script>.ts","kind":"","size":12,"action":"failed","error":"read object: AccessDenied","internal_note":"not part of the document"}
`
