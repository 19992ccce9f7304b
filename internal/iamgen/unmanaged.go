package iamgen

import "fmt"

// unmanaged is what unmanaged_buckets: report needs, in both roles (apply plans first): list the
// account's buckets, then read the region and default encryption of any of them. Nothing is
// granted unless the policy asks for the report.
//
// "ListBuckets" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html): "To use
// this operation, you must have the s3:ListAllMyBuckets permission". In the Service Authorization
// Reference for Amazon S3 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html),
// ListAllMyBuckets has no resource type (so Resource "*"), and GetEncryptionConfiguration (which
// authorises GetBucketEncryption) and GetBucketLocation act on the bucket resource type
// (arn:${Partition}:s3:::${BucketName}): the buckets are not known in advance, so every bucket.
func (g *gen) unmanaged() {
	if !g.pol.Unmanaged.Report() {
		return
	}
	g.add("ListUnmanagedBuckets", []string{"s3:ListAllMyBuckets"}, []string{"*"}, nil)
	g.add("ReadUnmanagedBucketEncryption", []string{"s3:GetBucketLocation", "s3:GetEncryptionConfiguration"},
		[]string{fmt.Sprintf("arn:%s:s3:::*", g.partition)}, nil)
}
