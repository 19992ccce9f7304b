package s3controltest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestFilterMatches: the manifest generator's filter takes an object that meets every condition,
// and MatchAnyObjectEncryption takes an object of any kind listed.
func TestFilterMatches(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	head := func(sse types.ServerSideEncryption, class types.StorageClass, size int64) *s3.HeadObjectOutput {
		return &s3.HeadObjectOutput{ServerSideEncryption: sse, StorageClass: class, ContentLength: aws.Int64(size), LastModified: aws.Time(at)}
	}
	either := &Filter{Encryption: &EncryptionList{Members: []EncryptionKind{{SSES3: &struct{}{}}, {NotSSE: &struct{}{}}}}}
	classes := &Filter{MatchAnyStorageClass: &StringList{Members: []string{"STANDARD_IA"}}, ObjectSizeLessThanBytes: aws.Int64(100),
		CreatedBefore: aws.String(at.Add(time.Second).Format(time.RFC3339))}
	cases := []struct {
		name string
		f    *Filter
		h    *s3.HeadObjectOutput
		sseC bool
		want bool
	}{
		{"no filter", nil, head("", "", 1), false, true},
		{"second kind listed", either, head("", "", 1), false, true},
		{"first kind listed", either, head(types.ServerSideEncryptionAes256, "", 1), false, true},
		{"kind not listed", either, head(types.ServerSideEncryptionAwsKms, "", 1), false, false},
		{"SSE-C not listed", either, head("", "", 1), true, false},
		{"class, size and date", classes, head("", types.StorageClassStandardIa, 99), false, true},
		{"STANDARD is the class of an object HeadObject names none", classes, head("", "", 99), false, false},
		{"size not less", classes, head("", types.StorageClassStandardIa, 100), false, false},
		{"created in the second named", &Filter{CreatedBefore: aws.String(at.Format(time.RFC3339))}, head("", "", 1), false, false},
	}
	for _, c := range cases {
		if got := matches(c.f, "k", c.h, c.sseC); got != c.want {
			t.Errorf("%s: matches = %v, want %v", c.name, got, c.want)
		}
	}
}
