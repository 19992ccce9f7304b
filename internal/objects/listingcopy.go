package objects

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awserr"
)

// probeListingCopy says whether copying from the listing, once asked for, is allowed in this
// bucket: no versions (a needless copy of a compliant object would add one), no ACLs (a copy
// drops grants), no Object Lock (the copy must not be tried on locked objects), no website
// configuration (where website redirects are served). Redirects on objects of a bucket without a
// website configuration are still dropped: only a HeadObject reveals them (see
// Options.CopyFromListing).
func (r *runner) probeListingCopy(ctx context.Context) bool {
	if r.versioning != "" || !r.aclsDisabled.Load() {
		return false
	}
	b := aws.String(r.t.Bucket)
	if _, err := r.c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b}); !awserr.Is(err, awserr.CodeNoLockConfig) {
		return false
	}
	if _, err := r.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b}); !awserr.Is(err, awserr.CodeNoWebsite) {
		return false
	}
	return true
}

// sampleRead records what reading one object showed, and switches to copying from the listing
// once the sample shows nearly every object needs fixing.
func (r *runner) sampleRead(wrong bool) {
	if !r.listingCopyAllowed.Load() || r.listingCopyOn.Load() {
		return
	}
	if wrong {
		r.sampledWrong.Add(1)
	}
	n := r.sampledRead.Add(1)
	if n >= int64(r.o.CopyFromListingSample) && r.sampledWrong.Load()*10 >= n*9 {
		r.listingCopyOn.Store(true)
	}
}

// readableClass is a storage class whose objects can be copied without a restore.
func readableClass(c types.ObjectStorageClass) bool {
	switch c {
	case "", types.ObjectStorageClassStandard, types.ObjectStorageClassStandardIa,
		types.ObjectStorageClassOnezoneIa, types.ObjectStorageClassReducedRedundancy:
		return true
	}
	return false
}

// copyFromListing re-encrypts obj without reading it first. It answers false when the object
// must go the reading path instead (not eligible, or the copy failed for any reason: the
// reading path decides again from what it reads, and skips what cannot be copied).
func (r *runner) copyFromListing(ctx context.Context, obj types.Object) bool {
	if !r.listingCopyOn.Load() || !readableClass(obj.StorageClass) || aws.ToInt64(obj.Size) > r.o.MultipartThreshold || obj.ETag == nil {
		return false
	}
	h := &s3.HeadObjectOutput{ETag: obj.ETag, ContentLength: obj.Size}
	if obj.StorageClass != "" && obj.StorageClass != types.ObjectStorageClassStandard {
		h.StorageClass = types.StorageClass(obj.StorageClass)
	}
	return r.copyObject(ctx, aws.ToString(obj.Key), h) == nil
}
