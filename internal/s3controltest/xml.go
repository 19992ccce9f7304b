package s3controltest

import "encoding/xml"

// The request and answer bodies below follow the S3 Control API reference's request and response
// syntax (REST-XML, namespace http://awss3control.amazonaws.com/doc/2018-08-20/):
//   CreateJob       https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
//   DescribeJob     https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_DescribeJob.html
//   ListJobs        https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ListJobs.html
//   UpdateJobStatus https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_UpdateJobStatus.html
// Only the members the stand-in checks or records are modelled; the rest of a request is kept as
// raw XML in the record.

const ns = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// CreateJobRequest is the body of a CreateJob request as the stand-in reads it.
type CreateJobRequest struct {
	XMLName              xml.Name           `xml:"CreateJobRequest"`
	ClientRequestToken   *string            `xml:"ClientRequestToken"`
	ConfirmationRequired *bool              `xml:"ConfirmationRequired"`
	Description          string             `xml:"Description"`
	Priority             *int32             `xml:"Priority"`
	RoleArn              *string            `xml:"RoleArn"`
	Operation            *Operation         `xml:"Operation"`
	Report               *Report            `xml:"Report"`
	Manifest             *rawXML            `xml:"Manifest"`
	ManifestGenerator    *ManifestGenerator `xml:"ManifestGenerator"`
	Tags                 []Tag              `xml:"Tags>member"`
}

type rawXML struct {
	Inner []byte `xml:",innerxml"`
}

// Operation is the job's operation; exactly one member may be set.
type Operation struct {
	S3UpdateObjectEncryption *UpdateObjectEncryption `xml:"S3UpdateObjectEncryption"`
	S3PutObjectCopy          *PutObjectCopy          `xml:"S3PutObjectCopy"`
	// Others counts operations the stand-in does not model (LambdaInvoke, S3PutObjectTagging, ...).
	Others []xml.Name `xml:",any"`
}

// UpdateObjectEncryption is the S3UpdateObjectEncryption operation.
type UpdateObjectEncryption struct {
	ObjectEncryption *struct {
		SSEKMS *struct {
			KMSKeyArn        *string `xml:"KMSKeyArn"`
			BucketKeyEnabled *bool   `xml:"BucketKeyEnabled"`
		} `xml:"SSE-KMS"`
		// Others are members other than SSE-KMS.
		Others []xml.Name `xml:",any"`
	} `xml:"ObjectEncryption"`
}

// PutObjectCopy is the S3PutObjectCopy operation (the members sseguard sets or must not set).
type PutObjectCopy struct {
	TargetResource    *string `xml:"TargetResource"`
	SSEAwsKmsKeyID    *string `xml:"SSEAwsKmsKeyId"`
	BucketKeyEnabled  *bool   `xml:"BucketKeyEnabled"`
	MetadataDirective string  `xml:"MetadataDirective"`
	// NewObjectMetadata and NewObjectTagging replace what the copies keep when present.
	NewObjectMetadata *rawXML `xml:"NewObjectMetadata"`
	NewObjectTagging  *rawXML `xml:"NewObjectTagging"`
}

// Report is the job's completion report configuration.
type Report struct {
	Enabled     *bool   `xml:"Enabled"`
	Bucket      *string `xml:"Bucket"`
	Prefix      string  `xml:"Prefix"`
	Format      string  `xml:"Format"`
	ReportScope string  `xml:"ReportScope"`
}

// ManifestGenerator holds the S3JobManifestGenerator.
type ManifestGenerator struct {
	S3 *S3ManifestGenerator `xml:"S3JobManifestGenerator"`
}

// S3ManifestGenerator is the S3JobManifestGenerator: S3 lists the source bucket itself.
type S3ManifestGenerator struct {
	SourceBucket           *string `xml:"SourceBucket"`
	ExpectedBucketOwner    string  `xml:"ExpectedBucketOwner"`
	EnableManifestOutput   *bool   `xml:"EnableManifestOutput"`
	ManifestOutputLocation *struct {
		Bucket         *string `xml:"Bucket"`
		ManifestPrefix string  `xml:"ManifestPrefix"`
		ManifestFormat string  `xml:"ManifestFormat"`
	} `xml:"ManifestOutputLocation"`
	Filter *Filter `xml:"Filter"`
}

// Filter is the JobManifestGeneratorFilter.
type Filter struct {
	CreatedBefore  string           `xml:"CreatedBefore"`
	CreatedAfter   string           `xml:"CreatedAfter"`
	MatchAnyPrefix []string         `xml:"KeyNameConstraint>MatchAnyPrefix>member"`
	Encryption     []EncryptionKind `xml:"MatchAnyObjectEncryption>ObjectEncryption"`
	// ObjectSizeLessThanBytes and ObjectSizeGreaterThanBytes bound the objects' size.
	ObjectSizeLessThanBytes    *int64 `xml:"ObjectSizeLessThanBytes"`
	ObjectSizeGreaterThanBytes *int64 `xml:"ObjectSizeGreaterThanBytes"`
}

// EncryptionKind is one ObjectEncryptionFilter: exactly one member is set.
type EncryptionKind struct {
	SSES3  *struct{} `xml:"SSE-S3"`
	NotSSE *struct{} `xml:"NOT-SSE"`
	DSSE   *struct{} `xml:"DSSE-KMS"`
	SSEC   *struct{} `xml:"SSE-C"`
	SSEKMS *struct {
		KmsKeyArn        string `xml:"KmsKeyArn"`
		BucketKeyEnabled *bool  `xml:"BucketKeyEnabled"`
	} `xml:"SSE-KMS"`
}

// Name is the filter's member name as the API spells it ("SSE-S3", "SSE-KMS", ...), or "" when
// the entry names none or several.
func (k EncryptionKind) Name() string {
	var names []string
	if k.SSES3 != nil {
		names = append(names, "SSE-S3")
	}
	if k.NotSSE != nil {
		names = append(names, "NOT-SSE")
	}
	if k.DSSE != nil {
		names = append(names, "DSSE-KMS")
	}
	if k.SSEC != nil {
		names = append(names, "SSE-C")
	}
	if k.SSEKMS != nil {
		names = append(names, "SSE-KMS")
	}
	if len(names) != 1 {
		return ""
	}
	return names[0]
}

// Tag is one job tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
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

type jobDescriptor struct {
	JobID                string          `xml:"JobId"`
	JobArn               string          `xml:"JobArn"`
	Status               string          `xml:"Status"`
	Description          string          `xml:"Description,omitempty"`
	Priority             int32           `xml:"Priority"`
	RoleArn              string          `xml:"RoleArn"`
	ConfirmationRequired bool            `xml:"ConfirmationRequired"`
	CreationTime         string          `xml:"CreationTime"`
	TerminationDate      string          `xml:"TerminationDate,omitempty"`
	StatusUpdateReason   string          `xml:"StatusUpdateReason,omitempty"`
	SuspendedCause       string          `xml:"SuspendedCause,omitempty"`
	ProgressSummary      progressSummary `xml:"ProgressSummary"`
	FailureReasons       []failureReason `xml:"FailureReasons>member,omitempty"`
	Report               *Report         `xml:"Report,omitempty"`
	Operation            *operationEcho  `xml:"Operation,omitempty"`
}

// operationEcho gives the operation back as it was sent.
type operationEcho struct {
	Inner []byte `xml:",innerxml"`
}

type describeJobResult struct {
	XMLName xml.Name      `xml:"DescribeJobResult"`
	NS      string        `xml:"xmlns,attr"`
	Job     jobDescriptor `xml:"Job"`
}

type jobListDescriptor struct {
	JobID           string          `xml:"JobId"`
	Description     string          `xml:"Description,omitempty"`
	Operation       string          `xml:"Operation"`
	Priority        int32           `xml:"Priority"`
	Status          string          `xml:"Status"`
	CreationTime    string          `xml:"CreationTime"`
	TerminationDate string          `xml:"TerminationDate,omitempty"`
	ProgressSummary progressSummary `xml:"ProgressSummary"`
}

type listJobsResult struct {
	XMLName   xml.Name            `xml:"ListJobsResult"`
	NS        string              `xml:"xmlns,attr"`
	Jobs      []jobListDescriptor `xml:"Jobs>member"`
	NextToken string              `xml:"NextToken,omitempty"`
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
	Tags    []Tag    `xml:"Tags>member"`
}

// errorResponse is S3 Control's error body: the code wrapped in an Error element.
type errorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}
