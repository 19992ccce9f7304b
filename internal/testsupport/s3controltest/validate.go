package s3controltest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Enumerations and limits of the S3 Control model (service-2.json) for the members a CreateJob
// request can carry; TestEnumsFollowTheModel checks each list against the model.
var (
	jobStatuses = []string{"Active", "Cancelled", "Cancelling", "Complete", "Completing", "Failed", "Failing", "New",
		"Paused", "Pausing", "Preparing", "Ready", "Suspended"}
	storageClasses     = []string{"STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"}
	cannedACLs         = []string{"private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control"}
	metadataDirectives = []string{"COPY", "REPLACE"}
	sseAlgorithms      = []string{"AES256", "KMS"}
	checksumAlgorithms = []string{"CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128"}
	permissions        = []string{"FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"}
	granteeTypes       = []string{"id", "emailAddress", "uri"}
	legalHoldStatuses  = []string{"OFF", "ON"}
	lockModes          = []string{"COMPLIANCE", "GOVERNANCE"}
	reportFormats      = []string{"Report_CSV_20180820"}
	reportScopes       = []string{"AllTasks", "FailedTasksOnly"}
	manifestFormats    = []string{"S3BatchOperations_CSV_20180820", "S3InventoryReport_CSV_20161130"}
	generatedFormats   = []string{"S3InventoryReport_CSV_20211130"}
	replicationStatus  = []string{"COMPLETED", "FAILED", "REPLICA", "NONE"}
)

// problems collects why a request is invalid.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// enum checks an optional member against its model enumeration.
func (p *problems) enum(name string, v *string, allowed []string) {
	if v != nil && !slices.Contains(allowed, *v) {
		p.add("%s %q is not one of %s", name, *v, strings.Join(allowed, ", "))
	}
}

// length checks an optional string member's model length limits.
func (p *problems) length(name string, v *string, min, max int) {
	if v != nil && (len(*v) < min || len(*v) > max) {
		p.add("%s must be %d to %d characters", name, min, max)
	}
}

// when checks an optional timestamp member.
func (p *problems) when(name string, v *string) {
	if v == nil {
		return
	}
	if _, err := time.Parse(time.RFC3339, strings.TrimSpace(*v)); err != nil {
		p.add("%s %q is not an ISO 8601 timestamp", name, *v)
	}
}

// arn checks that an optional member is an ARN of the given service and resource prefix.
func (p *problems) arn(name string, v *string, service, resource string) {
	if v == nil {
		return
	}
	parts := strings.SplitN(*v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service || !strings.HasPrefix(parts[5], resource) {
		p.add("%s %q is not an %s ARN", name, *v, service+":"+resource)
	}
}

// validateCreate returns why AWS would refuse a CreateJob, or "".
func validateCreate(req CreateJobRequest) string {
	var p problems
	// Required members per the model ("required": AccountId, Operation, Report,
	// ClientRequestToken, Priority, RoleArn; the account is the header, checked before).
	var missing []string
	for name, absent := range map[string]bool{"ClientRequestToken": req.ClientRequestToken == nil, "Operation": req.Operation == nil,
		"Priority": req.Priority == nil, "Report": req.Report == nil, "RoleArn": req.RoleArn == nil} {
		if absent {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "missing required field(s): " + strings.Join(missing, ", ")
	}
	// ClientRequestToken: NonEmptyMaxLength64String.
	if n := len(*req.ClientRequestToken); n < 1 || n > 64 {
		return "ClientRequestToken must be 1 to 64 characters"
	}
	p.length("Description", req.Description, 1, 256)
	// Priority: "Valid Range: Minimum value of 0. Maximum value of 2147483647."
	if *req.Priority < 0 {
		p.add("Priority must be 0 or more")
	}
	p.length("RoleArn", req.RoleArn, 1, 2048)
	p.arn("RoleArn", req.RoleArn, "iam", "role/")
	// "Jobs must be created with either a manifest file or a ManifestGenerator, but not both."
	if (req.Manifest == nil) == (req.ManifestGenerator == nil) {
		p.add("a job needs either Manifest or ManifestGenerator, not both and not neither")
	}
	validateOperation(&p, *req.Operation)
	validateReport(&p, *req.Report)
	if req.Manifest != nil {
		validateManifest(&p, *req.Manifest)
	}
	if req.ManifestGenerator != nil {
		validateGenerator(&p, *req.ManifestGenerator)
	}
	if req.Tags != nil {
		validateTags(&p, "Tags", req.Tags.Members)
	}
	return strings.Join(p, "; ")
}

// validateTags: S3Tag Key 1-128 characters and Value 0-256, both required.
func validateTags(p *problems, name string, tags []Tag) {
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || len(t.Value) > 256 {
			p.add("%s: a tag key must be 1 to 128 characters and a value at most 256", name)
			return
		}
	}
}

// validateOperation: JobOperation takes one operation per job ("The operation that you want this
// job to perform on every object listed in the manifest",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobOperation.html).
func validateOperation(p *problems, op Operation) {
	if names := op.Names(); len(names) != 1 {
		p.add("Operation must name exactly one operation, not %d (%s)", len(names), strings.Join(names, ", "))
		return
	}
	if u := op.S3UpdateObjectEncryption; u != nil {
		// "The UpdateObjectEncryption operation supports the SSE-KMS encryption type" and
		// KMSKeyArn is required when SSEKMS is specified (NonEmptyKmsKeyArnString, 20-2048):
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ObjectEncryption.html
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3UpdateObjectEncryptionSSEKMS.html
		if u.ObjectEncryption == nil || u.ObjectEncryption.SSEKMS == nil || len(u.ObjectEncryption.Unknown) > 0 {
			p.add("S3UpdateObjectEncryption needs ObjectEncryption with SSE-KMS: it can only change objects to SSE-KMS")
			return
		}
		k := u.ObjectEncryption.SSEKMS.KMSKeyArn
		if k == nil || len(*k) < 20 || len(*k) > 2048 {
			p.add("S3UpdateObjectEncryption SSE-KMS needs KMSKeyArn, the ARN of a KMS key")
			return
		}
		p.arn("KMSKeyArn", k, "kms", "key/")
	}
	if c := op.S3PutObjectCopy; c != nil {
		if c.TargetResource == nil {
			p.add("S3PutObjectCopy needs TargetResource, the destination bucket's ARN")
		}
		p.length("TargetResource", c.TargetResource, 1, 128)
		p.arn("TargetResource", c.TargetResource, "s3", "")
		p.enum("CannedAccessControlList", c.CannedAccessControlList, cannedACLs)
		if c.AccessControlGrants != nil {
			for _, g := range c.AccessControlGrants.Members {
				p.enum("Permission", g.Permission, permissions)
				if g.Grantee != nil {
					p.enum("TypeIdentifier", g.Grantee.TypeIdentifier, granteeTypes)
				}
			}
		}
		p.enum("MetadataDirective", c.MetadataDirective, metadataDirectives)
		p.when("ModifiedSinceConstraint", c.ModifiedSinceConstraint)
		p.when("UnModifiedSinceConstraint", c.UnModifiedSinceConstraint)
		if m := c.NewObjectMetadata; m != nil {
			p.enum("NewObjectMetadata.SSEAlgorithm", m.SSEAlgorithm, sseAlgorithms)
			p.when("NewObjectMetadata.HttpExpiresDate", m.HttpExpiresDate)
			if m.ContentLength != nil && *m.ContentLength < 0 {
				p.add("NewObjectMetadata.ContentLength must be 0 or more")
			}
		}
		if c.NewObjectTagging != nil {
			validateTags(p, "NewObjectTagging", c.NewObjectTagging.Members)
		}
		p.length("RedirectLocation", c.RedirectLocation, 1, 2048)
		p.enum("StorageClass", c.StorageClass, storageClasses)
		p.length("SSEAwsKmsKeyId", c.SSEAwsKmsKeyID, 1, 2000)
		p.length("TargetKeyPrefix", c.TargetKeyPrefix, 1, 1024)
		p.enum("ObjectLockLegalHoldStatus", c.ObjectLockLegalHoldStatus, legalHoldStatuses)
		p.enum("ObjectLockMode", c.ObjectLockMode, lockModes)
		p.when("ObjectLockRetainUntilDate", c.ObjectLockRetainUntilDate)
		p.enum("ChecksumAlgorithm", c.ChecksumAlgorithm, checksumAlgorithms)
	}
}

// validateReport follows JobReport
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobReport.html).
func validateReport(p *problems, r Report) {
	if r.Enabled == nil {
		p.add("Report needs Enabled")
		return
	}
	p.enum("Report Format", r.Format, reportFormats)
	p.enum("Report ReportScope", r.ReportScope, reportScopes)
	p.length("Report Prefix", r.Prefix, 1, 512)
	if !*r.Enabled {
		return
	}
	// With a report enabled, the bucket, format and scope say where and what.
	if r.Bucket == nil || !strings.HasPrefix(*r.Bucket, "arn:") || !strings.Contains(*r.Bucket, ":s3:::") {
		p.add("an enabled Report needs Bucket, a bucket ARN")
	}
	if r.Format == nil {
		p.add("an enabled Report needs Format")
	}
	if r.ReportScope == nil {
		p.add("an enabled Report needs ReportScope")
	}
}

// validateManifest follows JobManifest: Spec (Format) and Location (ObjectArn, ETag) required.
func validateManifest(p *problems, m Manifest) {
	if m.Spec == nil || m.Spec.Format == nil {
		p.add("Manifest needs Spec with Format")
	} else {
		p.enum("Manifest Format", m.Spec.Format, manifestFormats)
	}
	if m.Location == nil || m.Location.ObjectArn == nil || m.Location.ETag == nil {
		p.add("Manifest needs Location with ObjectArn and ETag")
	}
}

// validateGenerator follows S3JobManifestGenerator and JobManifestGeneratorFilter:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3JobManifestGenerator.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestGeneratorFilter.html
func validateGenerator(p *problems, g ManifestGenerator) {
	if g.S3 == nil {
		p.add("ManifestGenerator must hold S3JobManifestGenerator")
		return
	}
	if g.S3.SourceBucket == nil || !strings.HasPrefix(*g.S3.SourceBucket, "arn:") {
		p.add("S3JobManifestGenerator needs SourceBucket, a bucket ARN")
	}
	if g.S3.EnableManifestOutput == nil {
		p.add("S3JobManifestGenerator needs EnableManifestOutput")
	} else if *g.S3.EnableManifestOutput {
		l := g.S3.ManifestOutputLocation
		if l == nil || l.Bucket == nil || !strings.HasPrefix(*l.Bucket, "arn:") || l.ManifestFormat == nil {
			p.add("EnableManifestOutput true needs ManifestOutputLocation with a bucket ARN and ManifestFormat")
		} else {
			p.enum("ManifestOutputLocation ManifestFormat", l.ManifestFormat, generatedFormats)
			p.length("ManifestPrefix", l.ManifestPrefix, 1, 512)
		}
	}
	f := g.S3.Filter
	if f == nil {
		return
	}
	p.when("CreatedBefore", f.CreatedBefore)
	p.when("CreatedAfter", f.CreatedAfter)
	for _, st := range f.ObjectReplicationStatuses.Values() {
		p.enum("ObjectReplicationStatuses", &st, replicationStatus)
	}
	for _, sc := range f.MatchAnyStorageClass.Values() {
		p.enum("MatchAnyStorageClass", &sc, storageClasses)
	}
	if f.ObjectSizeLessThanBytes != nil && *f.ObjectSizeLessThanBytes < 0 || f.ObjectSizeGreaterThanBytes != nil && *f.ObjectSizeGreaterThanBytes < 0 {
		p.add("object size filters must be 0 or more")
	}
	// "MatchAnyObjectEncryption ... Array Members: Fixed number of 1 item." (the filter page
	// above; the service model says min 1, max 1): one encryption kind per job.
	if f.Encryption != nil && len(f.Encryption.Members) != 1 {
		p.add("MatchAnyObjectEncryption holds exactly one ObjectEncryption, not %d", len(f.Encryption.Members))
	}
	for _, k := range f.Encryption.Kinds() {
		if k.Name() == "" {
			p.add("each MatchAnyObjectEncryption entry names exactly one of SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE")
		}
		if k.SSEKMS != nil && k.SSEKMS.KmsKeyArn != nil {
			// SSEKMSFilter: "KmsKeyArn ... the KMS key ARN"; an alias is not accepted there.
			// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_SSEKMSFilter.html
			p.arn("SSE-KMS filter KmsKeyArn", k.SSEKMS.KmsKeyArn, "kms", "key/")
		}
		if k.DSSE != nil && k.DSSE.KmsKeyArn != nil {
			p.arn("DSSE-KMS filter KmsKeyArn", k.DSSE.KmsKeyArn, "kms", "key/")
		}
	}
}
