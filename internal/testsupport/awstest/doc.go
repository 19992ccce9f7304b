// Package awstest is the strict AWS layer for sseguard's tests: one loopback HTTP server in front
// of moto_server (which speaks S3, KMS, STS and IAM on one port) that forwards every request
// unchanged — path-style S3, KMS's JSON and IAM/STS's query protocols, large and streamed bodies,
// the aws-chunked uploads of the AWS CLI and boto3 — except where AWS behaves in a documented way
// that moto does not. Point AWS_ENDPOINT_URL at Layer.URL (Layer.Env does) instead of at moto.
//
// It is test support: only _test.go files, bench/ and the local demo (cmd/demo) may import it, never the shipped binary
// (TestNotInShippedBinary checks).
//
// Use one layer per test package:
//
//	var layer *awstest.Layer
//
//	func TestMain(m *testing.M) {
//		l, stop := awstest.StartMain() // starts moto_server and the layer; exits 1 if it cannot
//		layer = l
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
//
// or ForTest(t, opts) for one test. A second layer over the same moto (Options.Upstream =
// layer.Upstream()) has settings and state of its own (held bucket policies, blocked encryption
// types, identity policies): create the buckets a test needs through the layer the test uses.
//
// The rules, each in its own file with the AWS documentation it follows, each tested against moto
// alone to show moto differs:
//
//  1. Bucket policies are held by the layer, not moto (bucketpolicy.go, authz.go):
//     Put/Get/DeleteBucketPolicy answered as S3 does — MalformedPolicy for an empty Statement
//     list, a resource outside the bucket, a principal that does not exist or a unique id
//     ("Invalid principal in policy"), the 20 KB limit, NoSuchBucketPolicy — and every S3 request
//     judged against the held policy with S3's condition keys from the request
//     (s3:x-amz-server-side-encryption, s3:x-amz-server-side-encryption-aws-kms-key-id as the raw
//     header value, aws:SecureTransport — true unless Options.PlainHTTP —, aws:PrincipalArn,
//     aws:PrincipalAccount, ...). An explicit Deny answers 403 AccessDenied. Get/Put/DeleteBucketPolicy
//     are judged too, except for the bucket owner account's root user (moto lets every bucket-level
//     call through; "PutBucketPolicy", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html).
//     "Bucket policies for Amazon S3", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html;
//     "Actions, resources, and condition keys for Amazon S3", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html;
//     "Troubleshoot access denied (403 Forbidden) errors in Amazon S3", https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html.
//  2. Default encryption (encryption.go): GetBucketEncryption answers SSE-S3 for a bucket never
//     configured and objects uploaded without headers are SSE-S3; BlockedEncryptionTypes kept per
//     bucket; buckets created through the layer block SSE-C, and SSE-C writes to them answer 403.
//     "Using server-side encryption with Amazon S3 managed keys (SSE-S3)", https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html;
//     "Blocking or unblocking SSE-C for a general purpose bucket", https://docs.aws.amazon.com/AmazonS3/latest/userguide/blocking-unblocking-s3-c-encryption-gpb.html;
//     "BlockedEncryptionTypes", https://docs.aws.amazon.com/AmazonS3/latest/API/API_BlockedEncryptionTypes.html.
//  3. KMS errors (kms.go, errors.go): AccessDeniedException in KMS's JSON shape; CreateKey's and
//     PutKeyPolicy's request condition keys (kms:KeySpec, kms:KeyUsage, kms:KeyOrigin,
//     kms:MultiRegion, kms:BypassPolicyLockoutSafetyCheck) present with their defaults when the
//     request leaves them out ("AWS KMS condition keys",
//     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html);
//     UnsupportedOperationException for EnableKeyRotation on keys with imported material, in a
//     custom key store, or multi-Region replicas (MarkKey; DescribeKey reports the kind);
//     KeyManager AWS for a key named by an alias under alias/aws/ (moto says CUSTOMER for aws/s3,
//     "Create aliases", https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html);
//     LimitExceededException over the 32 KB key policy limit; MalformedPolicyDocumentException for
//     a principal that does not exist, a unique id, a policy that is not JSON or one that would lock
//     the caller out. "EnableKeyRotation", https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html;
//     "PutKeyPolicy", https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html.
//  4. Deleted principals (principals.go): a role or user named in a held bucket policy or a key
//     policy that no longer exists (or was recreated) is shown by its unique id (AROA…/AIDA…)
//     in GetBucketPolicy and GetKeyPolicy; a write holding one is refused (rules 1 and 3).
//     "IAM JSON policy elements: Principal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html.
//  5. UpdateObjectEncryption (uoe.go): bytes, ETag, Last-Modified, metadata and tags kept,
//     encryption changed; only SSE-S3/SSE-KMS sources and SSE-KMS targets (key ARN, same
//     account); 403 without s3:UpdateObjectEncryption or the KMS permissions (rule 7) or with
//     DenyUpdateObjectEncryption; UOENotImplemented answers 501, UOEPassThrough shows moto's
//     overwrite. "UpdateObjectEncryption", https://docs.aws.amazon.com/AmazonS3/latest/API/API_UpdateObjectEncryption.html.
//  6. Conditional copies and eventual consistency (conditional.go, dispatch.go):
//     x-amz-copy-source-if-match on CopyObject/UploadPartCopy and If-Match on the destination of
//     CopyObject/CompleteMultipartUpload answered 412; with Options.ConsistencyDelay, reads of a
//     bucket configuration answer the previous value for that long after a write.
//     "CopyObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html;
//     "Amazon S3 data consistency model", https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel.
//  7. Permission check (authz.go): SetIdentityPolicy gives an access key an IAM policy; its
//     requests are mapped to IAM actions and resources per the Service Authorization Reference and
//     "Required permissions for Amazon S3 API operations", evaluated with iampolicy together with
//     the held bucket policy or the key policy as AWS's same-account evaluation logic documents,
//     and refused in the service's own error shape (decide, pure, compared request by request
//     with the independent simulator iam-simulate in judge_test.go). Every request's actions are
//     recorded (Actions, Refused, SeenActions, Sent(Destructive...)).
//     "Policy evaluation logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
//     "Required permissions for Amazon S3 API operations", https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html.
//  8. Bucket owner condition (owner.go): x-amz-expected-bucket-owner (and the copy source's)
//     naming another account than the bucket's owner answers 403 AccessDenied.
//     "Verifying bucket ownership with bucket owner condition", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html.
//  9. Website redirects on copies (owner.go): a CopyObject that does not send
//     x-amz-website-redirect-location again stores the copy without it (the layer rewrites the
//     copy to replace the metadata with the source's own, minus the redirect).
//     "CopyObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html.
//  10. ListObjectVersions with encoding-type=url answers URL-encoded keys and markers (moto sends
//     them raw, control characters included). New buckets have ACLs disabled (Object Ownership
//     BucketOwnerEnforced). "ListObjectVersions", https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html;
//     "Controlling ownership of objects", https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html.
//     A key reference that names no key (an alias pointing nowhere) is answered NotFoundException
//     by moto without an authorization check: KMS authorises key actions on the key, and there is
//     none. S3 user-metadata header names are written in lower case, as S3 stores them.
//  11. AssumeRole (assumerole.go): refused with STS's AccessDenied unless the role exists in its
//     account and its trust policy allows the caller, sts:ExternalId set from the request's
//     ExternalId; sessions of a role given a policy with SetRolePolicy are checked against it
//     (rule 7). "AssumeRole", https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html;
//     "How to use an external ID when granting access to your AWS resources to a third party",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html.
//  12. AssumeRoleWithWebIdentity (webidentity.go): refused unless the token's issuer is an OIDC
//     provider registered in the role's account (InvalidIdentityToken otherwise), its audience one
//     of the provider's client ids, and the role's trust policy allows the provider (Federated)
//     with PROVIDER:sub and PROVIDER:aud from the token ("Not authorized to perform
//     sts:AssumeRoleWithWebIdentity"); moto hands out credentials for any token and role. The
//     token's signature is not checked (WebIdentityToken makes test tokens).
//     "AssumeRoleWithWebIdentity", https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html;
//     "IAM and AWS STS condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif.
//  13. S3 Control's jobs requests (s3control.go): moto has no S3 Control; requests signed with an
//     access key given a stand-in with SetS3Control are checked (rule 7) and forwarded to it —
//     CreateJob as s3:CreateJob with s3:RequestJobOperation, s3:RequestJobPriority and its tags,
//     and iam:PassRole on its role with iam:PassedToService batchoperations.s3.amazonaws.com;
//     ListJobs, DescribeJob, UpdateJobStatus, GetJobTagging on "*" or the job. BatchMayAssume judges
//     a job role's trust policy as STS does for Batch Operations (aws:SourceAccount the job's).
//     "Actions, resources, and condition keys for Amazon S3", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html;
//     "IAM and AWS STS condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService;
//     "AWS global condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount.
//  14. Requests from another account (crossaccount.go, kms.go): a request to a bucket or a KMS key
//     of another account than the caller's is allowed only when the resource's policy (the held
//     bucket policy, the key policy read in the key's own account) allows the caller or its
//     account and the caller's identity policy allows it too; reading an SSE-KMS object of another
//     account so needs kms:Decrypt from both the key policy and the reader's IAM policy. moto
//     hands the object over whatever either says (and, with the caller's credentials, finds no key
//     of another account to judge). "Cross-account policy evaluation logic",
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html;
//     "Allowing users in other accounts to use a KMS key", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html.
//  15. Replication configurations (replication.go): GetBucketReplication answers the configuration
//     as written — SourceSelectionCriteria (the SSE-KMS opt-in), Filter, DeleteMarkerReplication,
//     the key for replicas — where moto rewrites the filter and drops the opt-in; a rule opting in
//     to SSE-KMS objects without ReplicaKmsKeyID is refused with InvalidRequest, which moto takes.
//     "GetBucketReplication", https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html;
//     "PutBucketReplication", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html;
//     "Replicating objects created with server-side encryption (SSE) using AWS KMS keys",
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html.
//
// Hooks (SetBefore, SetHandle), counts by operation (Counts, ResetCounts) and a latency
// (SetLatency) serve tests and benchmarks that need to interfere with or measure requests.
// NewUser gives a test an IAM user's access key: moto answers an access key it never issued as
// arn:aws:sts::ACCOUNT:user/moto, a principal no key policy can name (AWS refuses such a key).
// Writes (records.go) picks the actions of a record that change something.
package awstest
