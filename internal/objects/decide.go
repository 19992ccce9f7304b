package objects

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awserr"
)

// decision is what to do with one object.
type decision struct {
	// kind is "" for a compliant object, else one of the Kind constants.
	kind string
	// observed describes the object's encryption.
	observed string
	// reason is set when the object must be skipped; note may say more.
	reason, note string
	// inPlace: fix with UpdateObjectEncryption rather than a copy.
	inPlace bool
}

// encryption is an object's encryption as S3 reports it, with the key resolved.
type encryption struct {
	sse       types.ServerSideEncryption
	keyARN    string // resolved key ARN, or the reference as returned when it did not resolve
	resolved  bool
	bucketKey bool
	sseC      bool
}

func (e encryption) String() string {
	switch {
	case e.sseC:
		return "SSE-C"
	case e.sse == "":
		return "none"
	case e.sse == types.ServerSideEncryptionAes256:
		return string(e.sse)
	}
	s := string(e.sse) + " " + e.keyARN
	if !e.resolved {
		s += " (unresolved)"
	}
	if e.bucketKey {
		s += " bucket-key"
	}
	return s
}

// classify compares an object's encryption with the target: "" when compliant, else the kind.
func classify(e encryption, t Target) string {
	switch e.sse {
	case "":
		return KindUnencrypted
	case types.ServerSideEncryptionAes256:
		if t.Algorithm == AlgorithmAES256 {
			return ""
		}
		return KindSSES3
	case types.ServerSideEncryptionAwsKms:
		switch {
		case t.Algorithm == AlgorithmAES256:
			return KindSSEKMS
		case t.KeyARN == "" || e.keyARN != t.KeyARN:
			// No required key yet (it is still to be created): no object is under it.
			return KindOtherKMSKey
		case t.BucketKey && !e.bucketKey:
			return KindBucketKeyOff
		}
		return ""
	case types.ServerSideEncryptionAwsKmsDsse:
		return KindDSSEKMS
	}
	return "other-" + strings.ToLower(string(e.sse))
}

// updateSupports says whether UpdateObjectEncryption can make this change: it starts only from
// SSE-S3 or SSE-KMS, and it only ever writes SSE-KMS.
func updateSupports(kind string, t Target) bool {
	if t.Algorithm != AlgorithmKMS {
		return false
	}
	switch kind {
	case KindSSES3, KindOtherKMSKey, KindBucketKeyOff:
		return true
	}
	return false
}

func (r *runner) encryptionOf(ctx context.Context, h *s3.HeadObjectOutput) encryption {
	e := encryption{sse: h.ServerSideEncryption, bucketKey: aws.ToBool(h.BucketKeyEnabled), sseC: h.SSECustomerAlgorithm != nil}
	if ref := aws.ToString(h.SSEKMSKeyId); ref != "" {
		e.keyARN, e.resolved = ref, isKeyARN(ref)
		if !e.resolved {
			// An id or alias that does not resolve (deleted key, another account, a transient
			// error) is not the required key as far as this run can tell: re-encrypting under
			// the required key is right either way.
			if arn, err := r.keys.resolve(ctx, ref); err == nil {
				e.keyARN, e.resolved = arn, true
			}
		}
	}
	return e
}

// decide classifies an object and, when it is not compliant, finds out whether it can be fixed
// and how. allowUpdate is false once UpdateObjectEncryption is known not to work on this endpoint.
func (r *runner) decide(ctx context.Context, key string, h *s3.HeadObjectOutput, allowUpdate bool) (decision, error) {
	e := r.encryptionOf(ctx, h)
	d := decision{observed: e.String()}
	if e.sseC {
		d.kind, d.reason = KindSkipped, ReasonSSEC
		return d, nil
	}
	if d.kind = classify(e, r.t); d.kind == "" {
		return d, nil
	}
	if locked(h, time.Now()) {
		d.reason = ReasonObjectLock
		d.note = fmt.Sprintf("object lock: mode %q until %v, legal hold %q", h.ObjectLockMode, aws.ToTime(h.ObjectLockRetainUntilDate), h.ObjectLockLegalHoldStatus)
		return d, nil
	}
	if allowUpdate && updateSupports(d.kind, r.t) {
		// Keeps storage class and ACL: neither archives nor grants are in the way.
		d.inPlace = true
		return d, nil
	}
	if archived(h) {
		d.reason = ReasonGlacier
		d.note = fmt.Sprintf("storage class %s %s, not restored: a copy needs the data", h.StorageClass, h.ArchiveStatus)
		return d, nil
	}
	grants, err := r.foreignGrants(ctx, key, h)
	if err != nil {
		return d, err
	}
	if grants != "" {
		d.reason = ReasonACLGrants
		d.note = "a copy would drop the object's ACL grants: " + grants
	}
	return d, nil
}

func locked(h *s3.HeadObjectOutput, now time.Time) bool {
	if h.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn {
		return true
	}
	return h.ObjectLockMode != "" && h.ObjectLockRetainUntilDate != nil && h.ObjectLockRetainUntilDate.After(now)
}

// archived: the object's data is in an archive and not restored, so it cannot be copied.
func archived(h *s3.HeadObjectOutput) bool {
	inArchive := h.StorageClass == types.StorageClassGlacier || h.StorageClass == types.StorageClassDeepArchive || h.ArchiveStatus != ""
	if !inArchive {
		return false
	}
	restore := aws.ToString(h.Restore)
	return !strings.Contains(restore, `ongoing-request="false"`)
}

// foreignGrants describes the grants in the object's ACL beyond its owner's full control, which
// a copy (written private) would drop; "" when there are none or ACLs are disabled.
func (r *runner) foreignGrants(ctx context.Context, key string, h *s3.HeadObjectOutput) (string, error) {
	if r.aclsDisabled.Load() {
		return "", nil
	}
	out, err := r.c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(r.t.Bucket), Key: aws.String(key), VersionId: h.VersionId})
	if err != nil {
		if awserr.Is(err, awserr.CodeACLNotSupported) {
			r.aclsDisabled.Store(true)
			return "", nil
		}
		return "", fmt.Errorf("read object ACL: %w", err)
	}
	owner := ""
	if out.Owner != nil {
		owner = aws.ToString(out.Owner.ID)
	}
	var extra []string
	for _, g := range out.Grants {
		if g.Grantee == nil {
			continue
		}
		if g.Grantee.Type == types.TypeCanonicalUser && aws.ToString(g.Grantee.ID) == owner && g.Permission == types.PermissionFullControl {
			continue
		}
		who := aws.ToString(g.Grantee.ID)
		if g.Grantee.URI != nil {
			who = aws.ToString(g.Grantee.URI)
		} else if g.Grantee.EmailAddress != nil {
			who = aws.ToString(g.Grantee.EmailAddress)
		}
		extra = append(extra, fmt.Sprintf("%s to %s", g.Permission, who))
	}
	return strings.Join(extra, ", "), nil
}
