package awstest

// Rule 15 — replication configurations are held by the layer as written.
//
// moto stores a replication configuration but answers GetBucketReplication with a rewrite of it:
// every rule's Filter becomes an empty prefix, DeleteMarkerReplication becomes Disabled, and
// SourceSelectionCriteria (the SSE-KMS opt-in), ExistingObjectReplication and the rest are
// dropped; it also accepts a rule that opts in to SSE-KMS objects without naming a key for the
// replicas. S3 answers what was configured ("GetBucketReplication",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketReplication.html: "Returns the
// replication configuration of a bucket"; the elements are the ReplicationConfiguration of the API
// model), and requires the key: "To replicate AWS KMS-encrypted objects, add the following:
// SourceSelectionCriteria, SseKmsEncryptedObjects, Status, EncryptionConfiguration, and
// ReplicaKmsKeyID" ("PutBucketReplication",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html; "Replicating
// objects created with server-side encryption (SSE) using AWS KMS keys",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html),
// refusing such a rule with InvalidRequest.
//
// PutBucketReplication still goes to moto, which checks what it checks (the bucket exists and is
// versioned: "Versioning must be 'Enabled' on the bucket to apply a replication configuration");
// when moto takes it, the layer keeps the configuration as parsed from the request and answers
// GetBucketReplication from it. DeleteBucketReplication drops it.

import (
	"encoding/xml"
	"net/http"
)

// replicationConfig is ReplicationConfiguration as the S3 API model (botocore's s3
// 2006-03-01 service model) defines it, every member included.
type replicationConfig struct {
	XMLName xml.Name          `xml:"ReplicationConfiguration"`
	Role    string            `xml:"Role"`
	Rules   []replicationRule `xml:"Rule"`
}

type replicationRule struct {
	ID                        *string            `xml:"ID,omitempty"`
	Priority                  *int32             `xml:"Priority,omitempty"`
	Prefix                    *string            `xml:"Prefix,omitempty"`
	Filter                    *replicationFilter `xml:"Filter,omitempty"`
	Status                    string             `xml:"Status"`
	SourceSelectionCriteria   *sourceSelection   `xml:"SourceSelectionCriteria,omitempty"`
	ExistingObjectReplication *statusElement     `xml:"ExistingObjectReplication,omitempty"`
	Destination               *destination       `xml:"Destination"`
	DeleteMarkerReplication   *statusElement     `xml:"DeleteMarkerReplication,omitempty"`
}

type replicationFilter struct {
	Prefix *string         `xml:"Prefix,omitempty"`
	Tag    *tag            `xml:"Tag,omitempty"`
	And    *replicationAnd `xml:"And,omitempty"`
}

type replicationAnd struct {
	Prefix *string `xml:"Prefix,omitempty"`
	Tags   []tag   `xml:"Tag,omitempty"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type statusElement struct {
	Status string `xml:"Status"`
}

type sourceSelection struct {
	SseKmsEncryptedObjects *statusElement `xml:"SseKmsEncryptedObjects,omitempty"`
	ReplicaModifications   *statusElement `xml:"ReplicaModifications,omitempty"`
}

type destination struct {
	Bucket                   string  `xml:"Bucket"`
	Account                  *string `xml:"Account,omitempty"`
	StorageClass             *string `xml:"StorageClass,omitempty"`
	AccessControlTranslation *struct {
		Owner string `xml:"Owner"`
	} `xml:"AccessControlTranslation,omitempty"`
	EncryptionConfiguration *struct {
		ReplicaKmsKeyID *string `xml:"ReplicaKmsKeyID,omitempty"`
	} `xml:"EncryptionConfiguration,omitempty"`
	ReplicationTime *struct {
		Status string `xml:"Status"`
		Time   *struct {
			Minutes int32 `xml:"Minutes"`
		} `xml:"Time,omitempty"`
	} `xml:"ReplicationTime,omitempty"`
	Metrics *struct {
		Status         string `xml:"Status"`
		EventThreshold *struct {
			Minutes int32 `xml:"Minutes"`
		} `xml:"EventThreshold,omitempty"`
	} `xml:"Metrics,omitempty"`
}

// replicaKeyMissing reports whether a rule opts in to SSE-KMS objects without a key for replicas.
func (r replicationRule) replicaKeyMissing() bool {
	if r.SourceSelectionCriteria == nil || r.SourceSelectionCriteria.SseKmsEncryptedObjects == nil ||
		r.SourceSelectionCriteria.SseKmsEncryptedObjects.Status != "Enabled" {
		return false
	}
	d := r.Destination
	return d == nil || d.EncryptionConfiguration == nil || d.EncryptionConfiguration.ReplicaKmsKeyID == nil ||
		*d.EncryptionConfiguration.ReplicaKmsKeyID == ""
}

func (l *Layer) putBucketReplication(w http.ResponseWriter, c *call) {
	var cfg replicationConfig
	if err := xml.Unmarshal(c.body, &cfg); err != nil {
		writeS3Error(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return
	}
	for _, r := range cfg.Rules {
		if r.replicaKeyMissing() {
			writeS3Error(w, http.StatusBadRequest, "InvalidRequest", "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.")
			return
		}
	}
	l.forward(w, c, func(resp *http.Response) error {
		if resp.StatusCode/100 != 2 {
			return nil
		}
		l.mu.Lock()
		l.st.replication[c.bucket] = cfg
		l.mu.Unlock()
		return nil
	})
}

func (l *Layer) getBucketReplication(w http.ResponseWriter, c *call) {
	l.mu.Lock()
	cfg, ok := l.st.replication[c.bucket]
	l.mu.Unlock()
	if !ok {
		l.forward(w, c, nil) // moto's answer: NoSuchBucket, or ReplicationConfigurationNotFoundError
		return
	}
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	if !l.bucketExists(ctx, c) {
		noSuchBucket(w, c)
		return
	}
	cfg.XMLName = xml.Name{Space: "http://s3.amazonaws.com/doc/2006-03-01/", Local: "ReplicationConfiguration"}
	body, err := xml.Marshal(cfg)
	if err != nil {
		writeS3Error(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

func (l *Layer) deleteBucketReplication(w http.ResponseWriter, c *call) {
	l.forward(w, c, func(resp *http.Response) error {
		if resp.StatusCode/100 == 2 {
			l.mu.Lock()
			delete(l.st.replication, c.bucket)
			l.mu.Unlock()
		}
		return nil
	})
}
