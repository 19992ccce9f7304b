package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Rule 15: GetBucketReplication answers the configuration as written (the SSE-KMS opt-in, the
// filter, the key for replicas), and a rule opting in to SSE-KMS objects without a key for
// replicas is refused; moto drops the opt-in and the filter and takes the incomplete rule.
func TestReplicationHeldAsWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, layer := both(shared, "testing")
	src, dst := unique("repl-src"), unique("repl-dst")
	for _, b := range []string{src, dst} {
		mustBucket(t, layer, b)
		if _, err := layer.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	const replicaKey = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cfg := func(key string) *s3types.ReplicationConfiguration {
		dest := &s3types.Destination{Bucket: aws.String("arn:aws:s3:::" + dst)}
		if key != "" {
			dest.EncryptionConfiguration = &s3types.EncryptionConfiguration{ReplicaKmsKeyID: aws.String(key)}
		}
		return &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::123456789012:role/replication"), Rules: []s3types.ReplicationRule{{
			ID: aws.String("videos-to-dr"), Priority: aws.Int32(2), Status: s3types.ReplicationRuleStatusEnabled,
			Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("videos/")},
			DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusEnabled},
			SourceSelectionCriteria: &s3types.SourceSelectionCriteria{SseKmsEncryptedObjects: &s3types.SseKmsEncryptedObjects{Status: s3types.SseKmsEncryptedObjectsStatusEnabled}},
			Destination:             dest,
		}}}
	}
	put := func(c clients, key string) error {
		_, err := c.s3.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: aws.String(src), ReplicationConfiguration: cfg(key)})
		return err
	}
	get := func(c clients) s3types.ReplicationRule {
		t.Helper()
		out, err := c.s3.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(src)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ReplicationConfiguration.Rules) != 1 {
			t.Fatalf("rules %+v", out.ReplicationConfiguration.Rules)
		}
		return out.ReplicationConfiguration.Rules[0]
	}
	optIn := func(r s3types.ReplicationRule) bool {
		return r.SourceSelectionCriteria != nil && r.SourceSelectionCriteria.SseKmsEncryptedObjects != nil &&
			r.SourceSelectionCriteria.SseKmsEncryptedObjects.Status == s3types.SseKmsEncryptedObjectsStatusEnabled
	}

	// moto alone: the incomplete rule is taken, and the opt-in and the filter are lost.
	if err := put(moto, ""); err != nil {
		t.Fatalf("moto refused the rule without a key for replicas: %v (the rule exists because moto takes it)", err)
	}
	if err := put(moto, replicaKey); err != nil {
		t.Fatal(err)
	}
	if r := get(moto); optIn(r) || aws.ToString(r.Filter.Prefix) == "videos/" {
		t.Errorf("moto now keeps the opt-in and the filter (%+v): the rule may no longer be needed", r)
	}

	if err := put(layer, ""); errorCode(err) != "InvalidRequest" {
		t.Errorf("the layer answered %v to an SSE-KMS opt-in without ReplicaKmsKeyID, want InvalidRequest", err)
	}
	if err := put(layer, replicaKey); err != nil {
		t.Fatal(err)
	}
	r := get(layer)
	if !optIn(r) || r.Filter == nil || aws.ToString(r.Filter.Prefix) != "videos/" || aws.ToInt32(r.Priority) != 2 ||
		r.DeleteMarkerReplication == nil || r.DeleteMarkerReplication.Status != s3types.DeleteMarkerReplicationStatusEnabled ||
		r.Destination.EncryptionConfiguration == nil || aws.ToString(r.Destination.EncryptionConfiguration.ReplicaKmsKeyID) != replicaKey {
		t.Errorf("the layer answered %+v, not the configuration as written", r)
	}
	// What moto checks still holds: an unversioned source is refused.
	plain := unique("repl-plain")
	mustBucket(t, layer, plain)
	if _, err := layer.s3.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: aws.String(plain), ReplicationConfiguration: cfg(replicaKey)}); errorCode(err) != "InvalidRequest" {
		t.Errorf("replication on an unversioned bucket: %v, want InvalidRequest", err)
	}
	if _, err := layer.s3.DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: aws.String(src)}); err != nil {
		t.Fatal(err)
	}
	if _, err := layer.s3.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(src)}); errorCode(err) != "ReplicationConfigurationNotFoundError" {
		t.Errorf("after DeleteBucketReplication: %v", err)
	}
}
