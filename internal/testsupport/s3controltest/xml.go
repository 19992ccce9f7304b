package s3controltest

import "encoding/xml"

// The request and answer bodies below follow the S3 Control API's published model (botocore's
// s3control/2018-08-20/service-2.json, the model the AWS SDKs are generated from) and the API
// reference's request and response syntax (REST-XML, namespace
// http://awss3control.amazonaws.com/doc/2018-08-20/):
//
//	CreateJob       https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
//	DescribeJob     https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_DescribeJob.html
//	ListJobs        https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ListJobs.html
//	UpdateJobStatus https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_UpdateJobStatus.html
//
// Every member of every structure a CreateJob request can carry is modelled, so nothing a client
// sends is silently dropped: TestTypesFollowTheModel walks the model and fails on a member these
// types lack. Lists are <member> elements unless the model names them otherwise
// (MatchAnyObjectEncryption's <ObjectEncryption>); maps are <entry><key/><value/></entry>;
// timestamps are kept as the ISO 8601 text sent. A list whose absence means something other than
// an empty one (NewObjectTagging: absent copies the source's tags, empty writes none) is a pointer
// to a wrapper, so the two stay apart.
//
// The same types are the job's Operation, Report, Manifest and ManifestGenerator in DescribeJob's
// JobDescriptor: the stand-in answers them as they were sent, as AWS does.

const ns = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// CreateJobRequest is the body of a CreateJob request (the account is the x-amz-account-id
// header).
type CreateJobRequest struct {
	XMLName              xml.Name           `xml:"CreateJobRequest"`
	ConfirmationRequired *bool              `xml:"ConfirmationRequired"`
	Operation            *Operation         `xml:"Operation"`
	Report               *Report            `xml:"Report"`
	ClientRequestToken   *string            `xml:"ClientRequestToken"`
	Manifest             *Manifest          `xml:"Manifest"`
	Description          *string            `xml:"Description"`
	Priority             *int32             `xml:"Priority"`
	RoleArn              *string            `xml:"RoleArn"`
	Tags                 *TagSet            `xml:"Tags"`
	ManifestGenerator    *ManifestGenerator `xml:"ManifestGenerator"`
}

// DescriptionText is the request's description, "" when absent.
func (r CreateJobRequest) DescriptionText() string {
	if r.Description == nil {
		return ""
	}
	return *r.Description
}

// Operation is JobOperation: exactly one member may be set.
type Operation struct {
	LambdaInvoke             *LambdaInvoke           `xml:"LambdaInvoke"`
	S3PutObjectCopy          *PutObjectCopy          `xml:"S3PutObjectCopy"`
	S3PutObjectAcl           *PutObjectACL           `xml:"S3PutObjectAcl"`
	S3PutObjectTagging       *PutObjectTagging       `xml:"S3PutObjectTagging"`
	S3DeleteObjectTagging    *struct{}               `xml:"S3DeleteObjectTagging"`
	S3InitiateRestoreObject  *InitiateRestoreObject  `xml:"S3InitiateRestoreObject"`
	S3PutObjectLegalHold     *PutObjectLegalHold     `xml:"S3PutObjectLegalHold"`
	S3PutObjectRetention     *PutObjectRetention     `xml:"S3PutObjectRetention"`
	S3ReplicateObject        *struct{}               `xml:"S3ReplicateObject"`
	S3ComputeObjectChecksum  *ComputeObjectChecksum  `xml:"S3ComputeObjectChecksum"`
	S3UpdateObjectEncryption *UpdateObjectEncryption `xml:"S3UpdateObjectEncryption"`
	// Unknown holds elements the model does not name (refused).
	Unknown []xml.Name `xml:",any"`
}

// Names lists the operation members set, as the model names them.
func (o Operation) Names() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(o.LambdaInvoke != nil, "LambdaInvoke")
	add(o.S3PutObjectCopy != nil, "S3PutObjectCopy")
	add(o.S3PutObjectAcl != nil, "S3PutObjectAcl")
	add(o.S3PutObjectTagging != nil, "S3PutObjectTagging")
	add(o.S3DeleteObjectTagging != nil, "S3DeleteObjectTagging")
	add(o.S3InitiateRestoreObject != nil, "S3InitiateRestoreObject")
	add(o.S3PutObjectLegalHold != nil, "S3PutObjectLegalHold")
	add(o.S3PutObjectRetention != nil, "S3PutObjectRetention")
	add(o.S3ReplicateObject != nil, "S3ReplicateObject")
	add(o.S3ComputeObjectChecksum != nil, "S3ComputeObjectChecksum")
	add(o.S3UpdateObjectEncryption != nil, "S3UpdateObjectEncryption")
	for _, u := range o.Unknown {
		out = append(out, u.Local)
	}
	return out
}

// LambdaInvoke is LambdaInvokeOperation.
type LambdaInvoke struct {
	FunctionArn             *string   `xml:"FunctionArn"`
	InvocationSchemaVersion *string   `xml:"InvocationSchemaVersion"`
	UserArguments           *EntryMap `xml:"UserArguments"`
}

// EntryMap is a map: <entry><key/><value/></entry> elements.
type EntryMap struct {
	Entries []Entry `xml:"entry"`
}

// StringList is a list of strings (<member> elements); a pointer to one tells an absent list
// from an empty one, and is echoed as it was sent.
type StringList struct {
	Members []string `xml:"member"`
}

// Values answers the list's strings (none for an absent list).
func (l *StringList) Values() []string {
	if l == nil {
		return nil
	}
	return l.Members
}

// EncryptionList is MatchAnyObjectEncryption: <ObjectEncryption> elements.
type EncryptionList struct {
	Members []EncryptionKind `xml:"ObjectEncryption"`
}

// Kinds answers the list's entries (none for an absent list).
func (l *EncryptionList) Kinds() []EncryptionKind {
	if l == nil {
		return nil
	}
	return l.Members
}

// Entry is one entry of a map.
type Entry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// PutObjectCopy is S3CopyObjectOperation: "S3 Batch Operations passes every object to the
// underlying CopyObject API operation"
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3CopyObjectOperation.html).
type PutObjectCopy struct {
	TargetResource            *string         `xml:"TargetResource"`
	CannedAccessControlList   *string         `xml:"CannedAccessControlList"`
	AccessControlGrants       *GrantList      `xml:"AccessControlGrants"`
	MetadataDirective         *string         `xml:"MetadataDirective"`
	ModifiedSinceConstraint   *string         `xml:"ModifiedSinceConstraint"`
	NewObjectMetadata         *ObjectMetadata `xml:"NewObjectMetadata"`
	NewObjectTagging          *TagSet         `xml:"NewObjectTagging"`
	RedirectLocation          *string         `xml:"RedirectLocation"`
	RequesterPays             *bool           `xml:"RequesterPays"`
	StorageClass              *string         `xml:"StorageClass"`
	UnModifiedSinceConstraint *string         `xml:"UnModifiedSinceConstraint"`
	SSEAwsKmsKeyID            *string         `xml:"SSEAwsKmsKeyId"`
	TargetKeyPrefix           *string         `xml:"TargetKeyPrefix"`
	ObjectLockLegalHoldStatus *string         `xml:"ObjectLockLegalHoldStatus"`
	ObjectLockMode            *string         `xml:"ObjectLockMode"`
	ObjectLockRetainUntilDate *string         `xml:"ObjectLockRetainUntilDate"`
	BucketKeyEnabled          *bool           `xml:"BucketKeyEnabled"`
	ChecksumAlgorithm         *string         `xml:"ChecksumAlgorithm"`
}

// GrantList is S3GrantList.
type GrantList struct {
	Members []Grant `xml:"member"`
}

// Grant is S3Grant.
type Grant struct {
	Grantee    *Grantee `xml:"Grantee"`
	Permission *string  `xml:"Permission"`
}

// Grantee is S3Grantee.
type Grantee struct {
	TypeIdentifier *string `xml:"TypeIdentifier"`
	Identifier     *string `xml:"Identifier"`
	DisplayName    *string `xml:"DisplayName"`
}

// ObjectMetadata is S3ObjectMetadata.
type ObjectMetadata struct {
	CacheControl       *string   `xml:"CacheControl"`
	ContentDisposition *string   `xml:"ContentDisposition"`
	ContentEncoding    *string   `xml:"ContentEncoding"`
	ContentLanguage    *string   `xml:"ContentLanguage"`
	UserMetadata       *EntryMap `xml:"UserMetadata"`
	ContentLength      *int64    `xml:"ContentLength"`
	ContentMD5         *string   `xml:"ContentMD5"`
	ContentType        *string   `xml:"ContentType"`
	HttpExpiresDate    *string   `xml:"HttpExpiresDate"`
	RequesterCharged   *bool     `xml:"RequesterCharged"`
	SSEAlgorithm       *string   `xml:"SSEAlgorithm"`
}

// TagSet is S3TagSet where an empty set differs from none.
type TagSet struct {
	Members []Tag `xml:"member"`
}

// Tag is S3Tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// PutObjectACL is S3SetObjectAclOperation.
type PutObjectACL struct {
	AccessControlPolicy *struct {
		AccessControlList *struct {
			Owner *struct {
				ID          *string `xml:"ID"`
				DisplayName *string `xml:"DisplayName"`
			} `xml:"Owner"`
			Grants *GrantList `xml:"Grants"`
		} `xml:"AccessControlList"`
		CannedAccessControlList *string `xml:"CannedAccessControlList"`
	} `xml:"AccessControlPolicy"`
}

// PutObjectTagging is S3SetObjectTaggingOperation.
type PutObjectTagging struct {
	TagSet *TagSet `xml:"TagSet"`
}

// InitiateRestoreObject is S3InitiateRestoreObjectOperation.
type InitiateRestoreObject struct {
	ExpirationInDays *int32  `xml:"ExpirationInDays"`
	GlacierJobTier   *string `xml:"GlacierJobTier"`
}

// PutObjectLegalHold is S3SetObjectLegalHoldOperation.
type PutObjectLegalHold struct {
	LegalHold *struct {
		Status *string `xml:"Status"`
	} `xml:"LegalHold"`
}

// PutObjectRetention is S3SetObjectRetentionOperation.
type PutObjectRetention struct {
	BypassGovernanceRetention *bool `xml:"BypassGovernanceRetention"`
	Retention                 *struct {
		RetainUntilDate *string `xml:"RetainUntilDate"`
		Mode            *string `xml:"Mode"`
	} `xml:"Retention"`
}

// ComputeObjectChecksum is S3ComputeObjectChecksumOperation.
type ComputeObjectChecksum struct {
	ChecksumAlgorithm *string `xml:"ChecksumAlgorithm"`
	ChecksumType      *string `xml:"ChecksumType"`
}

// UpdateObjectEncryption is S3UpdateObjectEncryptionOperation.
type UpdateObjectEncryption struct {
	ObjectEncryption *struct {
		SSEKMS *struct {
			KMSKeyArn        *string `xml:"KMSKeyArn"`
			BucketKeyEnabled *bool   `xml:"BucketKeyEnabled"`
		} `xml:"SSE-KMS"`
		// Unknown are members the model does not name.
		Unknown []xml.Name `xml:",any"`
	} `xml:"ObjectEncryption"`
}

// Report is JobReport: the job's completion report.
type Report struct {
	Bucket              *string `xml:"Bucket"`
	Format              *string `xml:"Format"`
	Enabled             *bool   `xml:"Enabled"`
	Prefix              *string `xml:"Prefix"`
	ReportScope         *string `xml:"ReportScope"`
	ExpectedBucketOwner *string `xml:"ExpectedBucketOwner"`
}

// Manifest is JobManifest: a manifest object the client wrote.
type Manifest struct {
	Spec *struct {
		Format *string     `xml:"Format"`
		Fields *StringList `xml:"Fields"`
	} `xml:"Spec"`
	Location *ManifestLocation `xml:"Location"`
}

// ManifestLocation is JobManifestLocation.
type ManifestLocation struct {
	ObjectArn       *string `xml:"ObjectArn"`
	ObjectVersionID *string `xml:"ObjectVersionId"`
	ETag            *string `xml:"ETag"`
}

// ManifestGenerator is JobManifestGenerator (a union with one member).
type ManifestGenerator struct {
	S3 *S3ManifestGenerator `xml:"S3JobManifestGenerator"`
}

// S3ManifestGenerator is S3JobManifestGenerator: S3 lists the source bucket itself.
type S3ManifestGenerator struct {
	ExpectedBucketOwner    *string         `xml:"ExpectedBucketOwner"`
	SourceBucket           *string         `xml:"SourceBucket"`
	ManifestOutputLocation *OutputLocation `xml:"ManifestOutputLocation"`
	Filter                 *Filter         `xml:"Filter"`
	EnableManifestOutput   *bool           `xml:"EnableManifestOutput"`
}

// OutputLocation is S3ManifestOutputLocation.
type OutputLocation struct {
	ExpectedManifestBucketOwner *string `xml:"ExpectedManifestBucketOwner"`
	Bucket                      *string `xml:"Bucket"`
	ManifestPrefix              *string `xml:"ManifestPrefix"`
	ManifestEncryption          *struct {
		SSES3  *struct{} `xml:"SSE-S3"`
		SSEKMS *struct {
			KeyID *string `xml:"KeyId"`
		} `xml:"SSE-KMS"`
	} `xml:"ManifestEncryption"`
	ManifestFormat *string `xml:"ManifestFormat"`
}

// Filter is JobManifestGeneratorFilter.
type Filter struct {
	EligibleForReplication    *bool       `xml:"EligibleForReplication"`
	CreatedAfter              *string     `xml:"CreatedAfter"`
	CreatedBefore             *string     `xml:"CreatedBefore"`
	ObjectReplicationStatuses *StringList `xml:"ObjectReplicationStatuses"`
	KeyNameConstraint         *struct {
		MatchAnyPrefix    *StringList `xml:"MatchAnyPrefix"`
		MatchAnySuffix    *StringList `xml:"MatchAnySuffix"`
		MatchAnySubstring *StringList `xml:"MatchAnySubstring"`
	} `xml:"KeyNameConstraint"`
	ObjectSizeGreaterThanBytes *int64          `xml:"ObjectSizeGreaterThanBytes"`
	ObjectSizeLessThanBytes    *int64          `xml:"ObjectSizeLessThanBytes"`
	MatchAnyStorageClass       *StringList     `xml:"MatchAnyStorageClass"`
	Encryption                 *EncryptionList `xml:"MatchAnyObjectEncryption"`
}

// MatchAnyPrefix is the filter's prefixes (none when there is no key name constraint).
func (f *Filter) MatchAnyPrefix() []string {
	if f == nil || f.KeyNameConstraint == nil {
		return nil
	}
	return f.KeyNameConstraint.MatchAnyPrefix.Values()
}

// EncryptionKind is one ObjectEncryptionFilter (a union): exactly one member is set.
type EncryptionKind struct {
	SSES3  *struct{} `xml:"SSE-S3"`
	SSEKMS *struct {
		KmsKeyArn        *string `xml:"KmsKeyArn"`
		BucketKeyEnabled *bool   `xml:"BucketKeyEnabled"`
	} `xml:"SSE-KMS"`
	DSSE *struct {
		KmsKeyArn *string `xml:"KmsKeyArn"`
	} `xml:"DSSE-KMS"`
	SSEC   *struct{} `xml:"SSE-C"`
	NotSSE *struct{} `xml:"NOT-SSE"`
}

// Name is the filter's member name as the API spells it ("SSE-S3", "SSE-KMS", ...), or "" when
// the entry names none or several.
func (k EncryptionKind) Name() string {
	var names []string
	if k.SSES3 != nil {
		names = append(names, "SSE-S3")
	}
	if k.SSEKMS != nil {
		names = append(names, "SSE-KMS")
	}
	if k.DSSE != nil {
		names = append(names, "DSSE-KMS")
	}
	if k.SSEC != nil {
		names = append(names, "SSE-C")
	}
	if k.NotSSE != nil {
		names = append(names, "NOT-SSE")
	}
	if len(names) != 1 {
		return ""
	}
	return names[0]
}

type createJobResult struct {
	XMLName xml.Name `xml:"CreateJobResult"`
	NS      string   `xml:"xmlns,attr"`
	JobID   string   `xml:"JobId"`
}

type progressSummary struct {
	TotalNumberOfTasks     int64 `xml:"TotalNumberOfTasks"`
	NumberOfTasksSucceeded int64 `xml:"NumberOfTasksSucceeded"`
	NumberOfTasksFailed    int64 `xml:"NumberOfTasksFailed"`
	Timers                 struct {
		ElapsedTimeInActiveSeconds int64 `xml:"ElapsedTimeInActiveSeconds"`
	} `xml:"Timers"`
}

type failureReason struct {
	FailureCode   string `xml:"FailureCode"`
	FailureReason string `xml:"FailureReason"`
}

type failureList struct {
	Members []failureReason `xml:"member"`
}

type jobList struct {
	Members []jobListDescriptor `xml:"member"`
}

// jobDescriptor is JobDescriptor, every member of the model.
type jobDescriptor struct {
	JobID                       string             `xml:"JobId"`
	ConfirmationRequired        bool               `xml:"ConfirmationRequired"`
	Description                 *string            `xml:"Description"`
	JobArn                      string             `xml:"JobArn"`
	Status                      string             `xml:"Status"`
	Manifest                    *Manifest          `xml:"Manifest"`
	Operation                   *Operation         `xml:"Operation"`
	Priority                    int32              `xml:"Priority"`
	ProgressSummary             progressSummary    `xml:"ProgressSummary"`
	StatusUpdateReason          string             `xml:"StatusUpdateReason,omitempty"`
	FailureReasons              *failureList       `xml:"FailureReasons"`
	Report                      *Report            `xml:"Report"`
	CreationTime                string             `xml:"CreationTime"`
	TerminationDate             string             `xml:"TerminationDate,omitempty"`
	RoleArn                     string             `xml:"RoleArn"`
	SuspendedDate               string             `xml:"SuspendedDate,omitempty"`
	SuspendedCause              string             `xml:"SuspendedCause,omitempty"`
	ManifestGenerator           *ManifestGenerator `xml:"ManifestGenerator"`
	GeneratedManifestDescriptor *struct {
		Format   string            `xml:"Format"`
		Location *ManifestLocation `xml:"Location"`
	} `xml:"GeneratedManifestDescriptor"`
}

type describeJobResult struct {
	XMLName xml.Name      `xml:"DescribeJobResult"`
	NS      string        `xml:"xmlns,attr"`
	Job     jobDescriptor `xml:"Job"`
}

type jobListDescriptor struct {
	JobID           string          `xml:"JobId"`
	Description     *string         `xml:"Description"`
	Operation       string          `xml:"Operation"`
	Priority        int32           `xml:"Priority"`
	Status          string          `xml:"Status"`
	CreationTime    string          `xml:"CreationTime"`
	TerminationDate string          `xml:"TerminationDate,omitempty"`
	ProgressSummary progressSummary `xml:"ProgressSummary"`
}

type listJobsResult struct {
	XMLName   xml.Name `xml:"ListJobsResult"`
	NS        string   `xml:"xmlns,attr"`
	NextToken string   `xml:"NextToken,omitempty"`
	Jobs      *jobList `xml:"Jobs"`
}

type updateJobStatusResult struct {
	XMLName            xml.Name `xml:"UpdateJobStatusResult"`
	NS                 string   `xml:"xmlns,attr"`
	JobID              string   `xml:"JobId"`
	Status             string   `xml:"Status"`
	StatusUpdateReason string   `xml:"StatusUpdateReason,omitempty"`
}

type getJobTaggingResult struct {
	XMLName xml.Name `xml:"GetJobTaggingResult"`
	NS      string   `xml:"xmlns,attr"`
	Tags    *TagSet  `xml:"Tags"`
}

// errorResponse is S3 Control's error body: the code wrapped in an Error element.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}
