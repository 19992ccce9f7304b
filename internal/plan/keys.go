package plan

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// keyChange is a create-key change shared by every bucket that uses the key. It enters the plan
// with the first bucket that needs it and is not blocked.
type keyChange struct {
	change  *Change
	planned bool
	// policy is the whole key policy a create-key change writes.
	policy *iampolicy.Document
}

// wantKey is the key a bucket must use: its ARN when it exists, or the change that creates it
// (and the one that turns its rotation on); deps are the key's changes the bucket must wait for.
type wantKey struct {
	arn            string
	create, rotate *keyChange
	deps           []string
	// policy is the key policy the plan leaves the key with (nil: not judged); observedPolicy
	// the key policy as read ("" for a key created by the plan).
	policy         *iampolicy.Document
	observedPolicy string
}

// desiredKey finds the key the bucket must use, planning its creation when the policy names an
// alias that does not exist yet. It records a blocker and returns false when the key cannot be
// used for this bucket.
func (bc *bucketPlan) desiredKey() (wantKey, bool) {
	ref := bc.b.KMSKey
	lookupRegion := bc.region
	if strings.HasPrefix(ref, "arn:") {
		a, err := arn.Parse(ref)
		if err != nil {
			bc.block(BlockKeyNotFound, "kms_key %q is not a valid ARN: %v", ref, err)
			return wantKey{}, false
		}
		if a.Region != bc.region {
			bc.block(BlockKeyRegion, "key %s is in %s but bucket %s is in %s: S3 can only use a key in the bucket's own region",
				ref, a.Region, bc.b.Name, bc.region)
			return wantKey{}, false
		}
		if a.AccountID != bc.c.st.Account {
			bc.block(BlockKeyOtherAccount, "key %s belongs to account %s, not %s: sseguard only manages keys in the bucket owner's account",
				ref, a.AccountID, bc.c.st.Account)
			return wantKey{}, false
		}
	} else if k, ok := bc.c.pol.KeyByAlias(ref); ok && k.Region != "" {
		if k.Region != bc.region {
			bc.block(BlockKeyRegion, "the policy pins %s to %s but bucket %s is in %s: S3 can only use a key in the bucket's own region",
				ref, k.Region, bc.b.Name, bc.region)
			return wantKey{}, false
		}
		lookupRegion = k.Region
	}

	kr := state.KeyRef{Region: lookupRegion, Ref: ref}
	k := bc.c.st.Keys[kr]
	if k == nil {
		bc.block(BlockObserveFailed, "key %s in %s was not observed", ref, lookupRegion)
		return wantKey{}, false
	}
	if k.Err != "" {
		bc.block(BlockObserveFailed, "could not read key %s in %s: %s", ref, lookupRegion, k.Err)
		return wantKey{}, false
	}
	if !k.Found {
		if !strings.HasPrefix(ref, "alias/") {
			bc.block(BlockKeyNotFound, "key %s does not exist; sseguard creates keys only for aliases (alias/...), not for ARNs", ref)
			return wantKey{}, false
		}
		create, rotate := bc.c.createKey(kr, bc.b)
		w := wantKey{create: create, rotate: rotate, deps: []string{create.change.ID}, policy: create.policy}
		if rotate != nil {
			w.deps = append(w.deps, rotate.change.ID)
		}
		return w, true
	}
	if !bc.usable(k, ref) {
		return wantKey{}, false
	}
	if !bc.readable(k, ref) {
		return wantKey{}, false
	}
	if u := bc.c.uses[kr]; u != nil {
		line := bc.b.Pos.Line
		if u.spec.Pos.Line > 0 {
			line = u.spec.Pos.Line
		}
		bc.c.analyse(u, line)
		for _, w := range u.warnings {
			bc.warn(w.code, "%s", w.message)
		}
		if len(u.blockers) > 0 {
			for _, b := range u.blockers {
				bc.block(b.code, "%s", b.message)
			}
			return wantKey{}, false
		}
		bc.keyChanges = append(bc.keyChanges, u.changes...)
		w := wantKey{arn: k.ARN, policy: u.planned, observedPolicy: k.Policy}
		for _, kc := range u.changes {
			w.deps = append(w.deps, kc.change.ID)
		}
		return w, true
	}
	return wantKey{arn: k.ARN, observedPolicy: k.Policy}, true
}

// readable blocks the bucket when the key's policy or rotation status could not be read: the key
// cannot be judged (its grants, anyone it is open to), so nothing is switched to it.
func (bc *bucketPlan) readable(k *state.Key, ref string) bool {
	ok := true
	if k.PolicyDenied != "" {
		bc.block(BlockKeyUnreadable, "the key policy of %s (%s) cannot be read, so the key cannot be judged: %s; allow kms:GetKeyPolicy on the key to the role sseguard runs as",
			ref, k.ARN, k.PolicyDenied)
		ok = false
	}
	if spec, _ := bc.c.pol.KeyByAlias(ref); k.RotationDenied != "" && (spec.Rotation || spec.Pos.Line == 0) {
		bc.block(BlockKeyUnreadable, "the rotation status of %s (%s) cannot be read: %s; allow kms:GetKeyRotationStatus on the key to the role sseguard runs as",
			ref, k.ARN, k.RotationDenied)
		ok = false
	}
	return ok
}

// usable checks a found key can serve as this bucket's CMK, recording blockers.
func (bc *bucketPlan) usable(k *state.Key, ref string) bool {
	switch {
	case k.Manager == "AWS":
		bc.block(BlockKeyAWSManaged, "%s is an AWS managed key: its key policy cannot be changed, so the transcoder principal cannot be granted use of it; use a customer managed key", ref)
	case k.Account != "" && k.Account != bc.c.st.Account:
		bc.block(BlockKeyOtherAccount, "%s resolves to key %s in account %s, not %s", ref, k.ARN, k.Account, bc.c.st.Account)
	case k.Region != "" && k.Region != bc.region:
		bc.block(BlockKeyRegion, "%s resolves to key %s in %s but bucket %s is in %s", ref, k.ARN, k.Region, bc.b.Name, bc.region)
	case k.State == "PendingDeletion" || k.State == "PendingReplicaDeletion":
		bc.block(BlockKeyPendingDelete, "KEY %s (%s) IS PENDING DELETION: once deleted, every object encrypted under it becomes unreadable for good. Cancel the deletion (aws kms cancel-key-deletion --key-id %s, then enable the key) before anything else", ref, k.ARN, k.ID)
	case k.State == "Disabled":
		bc.block(BlockKeyDisabled, "KEY %s (%s) IS DISABLED: objects encrypted under it cannot be read or written until it is enabled again (aws kms enable-key --key-id %s)", ref, k.ARN, k.ID)
	case k.State != "" && k.State != "Enabled":
		bc.block(BlockKeyNotUsable, "key %s (%s) is %s, not Enabled", ref, k.ARN, k.State)
	case k.Spec != "" && k.Spec != "SYMMETRIC_DEFAULT":
		bc.block(BlockKeyNotUsable, "key %s (%s) has key spec %s; S3 needs a symmetric encryption key (SYMMETRIC_DEFAULT)", ref, k.ARN, k.Spec)
	case k.Usage != "" && k.Usage != "ENCRYPT_DECRYPT":
		bc.block(BlockKeyNotUsable, "key %s (%s) is for %s; S3 needs ENCRYPT_DECRYPT", ref, k.ARN, k.Usage)
	default:
		return true
	}
	return false
}

// createKey returns the (shared) change that creates the key for alias in region, and the one that
// turns on its rotation (nil when the policy turns rotation off). Rotation is a change of its own:
// if EnableKeyRotation fails right after CreateKey, the key and its alias still exist and are
// reported as such, and the rotation failure is reported on its own.
func (c *computer) createKey(kr state.KeyRef, b policy.Bucket) (create, rotate *keyChange) {
	if kc, ok := c.keys[kr]; ok {
		return kc, c.rotations[kr]
	}
	spec, _ := c.pol.KeyByAlias(kr.Ref)
	line := b.Pos.Line
	if spec.Pos.Line > 0 {
		line = spec.Pos.Line
	}
	desc := spec.Description
	if desc == "" {
		desc = "sseguard: default encryption key for S3 (" + kr.Ref + ")"
	}
	nk := &NewKey{Alias: kr.Ref, Description: desc, Tags: spec.Tags}
	ch := &Change{
		ID: string(CreateKey) + "/" + kr.Region + "/" + kr.Ref, Kind: CreateKey,
		Alias: kr.Ref, Region: kr.Region, Line: line,
		Before: "no key", After: "customer managed key " + kr.Ref + ": " + desc,
		Key: nk,
	}
	if u := c.uses[kr]; u != nil {
		// The whole key policy at creation, like the console's five steps: root, administrators
		// who cannot delete, key users, and grants for AWS resources; and the role that applies,
		// for what it does to this key alone (named by apply: see iampolicy.ApplyStatement).
		// Every grant is shown.
		spec := u.policySpec(c.st)
		spec.ApplyRole = iampolicy.ApplyRolePlaceholder
		doc := iampolicy.KeyPolicy(spec)
		if text, err := doc.JSON(); err == nil {
			nk.Policy = text
			ch.Details = diffText(iampolicy.Diff(nil, doc))
			ch.Grants = grantsOf(doc)
		}
	}
	create = &keyChange{change: ch}
	if nk.Policy != "" {
		create.policy, _ = iampolicy.Parse(nk.Policy)
	}
	c.keys[kr] = create
	if spec.Rotation || spec.Pos.Line == 0 {
		rotate = &keyChange{change: &Change{
			ID: string(EnableKeyRotation) + "/" + kr.Region + "/" + kr.Ref, Kind: EnableKeyRotation,
			Alias: kr.Ref, Region: kr.Region, Line: line, DependsOn: []string{ch.ID},
			Before: "new key", After: "automatic rotation on (yearly)",
		}}
		c.rotations[kr] = rotate
	}
	return create, rotate
}
