package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Algorithms as S3 names them.
const (
	AlgAES256 = "AES256"
	AlgKMS    = "aws:kms"
)

// Compute returns the plan that makes the account match the policy. It does no I/O.
func Compute(pol *policy.Policy, st *state.State) *Plan {
	c := &computer{pol: pol, st: st, p: &Plan{PolicyPath: pol.Path, Account: st.Account}, keys: map[state.KeyRef]*keyChange{},
		rotations: map[state.KeyRef]*keyChange{}}
	c.uses = c.keyUses()
	c.run()
	c.p.sort()
	return c.p
}

type computer struct {
	pol  *policy.Policy
	st   *state.State
	p    *Plan
	keys map[state.KeyRef]*keyChange // create-key changes, by region and alias, shared by buckets
	// rotations are the enable-key-rotation changes of keys created in this plan.
	rotations map[state.KeyRef]*keyChange
	uses      map[state.KeyRef]*keyUse // what the policy asks of each key, over all its buckets
}

func (c *computer) run() {
	if c.pol.Account != "" && c.st.Account != "" && c.pol.Account != c.st.Account {
		c.p.Blockers = append(c.p.Blockers, Blocker{
			Code: BlockAccountMismatch,
			Message: fmt.Sprintf("the policy is for account %s but the credentials are for account %s: nothing will be changed",
				c.pol.Account, c.st.Account),
		})
		for _, b := range c.pol.Buckets {
			c.p.Buckets = append(c.p.Buckets, BucketStatus{Name: b.Name, Region: b.Region, Line: b.Pos.Line,
				Status: Blocked, Required: describeRequired(b)})
		}
		return
	}
	for _, b := range c.pol.Buckets {
		c.bucket(b)
	}
}

// bucket plans one bucket. A blocker stops this bucket only: its changes are dropped.
func (c *computer) bucket(b policy.Bucket) {
	row := BucketStatus{Name: b.Name, Region: b.Region, Line: b.Pos.Line, Required: describeRequired(b), Status: InSync}
	bc := &bucketPlan{c: c, b: b}
	defer func() {
		whole, stopped := false, map[string]bool{}
		for _, bl := range bc.blockers {
			if bl.Change == "" {
				whole = true
			}
			stopped[bl.Change] = true
		}
		if len(bc.blockers) > 0 {
			row.Status = Blocked
			c.p.Blockers = append(c.p.Blockers, bc.blockers...)
		}
		if !whole {
			// A blocker that stops one change (a policy AWS would refuse to rewrite) leaves the
			// bucket's other changes, unless they depend on the stopped one.
			for _, ch := range bc.changes {
				if stopped[ch.ID] || dependsOnAny(ch, stopped) {
					continue
				}
				c.p.Changes = append(c.p.Changes, ch)
				row.Changes = append(row.Changes, ch.ID)
			}
			for _, k := range bc.keyChanges {
				if !k.planned {
					k.planned = true
					c.p.Changes = append(c.p.Changes, *k.change)
				}
				row.Changes = append(row.Changes, k.change.ID)
			}
			if len(row.Changes) > 0 && row.Status != Blocked {
				row.Status = Drift
			}
		}
		c.p.Warnings = append(c.p.Warnings, bc.warnings...)
		sort.Strings(row.Changes)
		c.p.Buckets = append(c.p.Buckets, row)
	}()

	ob := c.st.Buckets[b.Name]
	switch {
	case ob == nil:
		bc.block(BlockObserveFailed, "bucket %s was not observed", b.Name)
		return
	case ob.Err != "":
		row.Observed = "unknown"
		bc.block(BlockObserveFailed, "could not read bucket %s: %s", b.Name, ob.Err)
		return
	case !ob.Exists:
		row.Observed = "bucket does not exist"
		bc.block(BlockBucketMissing, "bucket %s does not exist (or is not visible to these credentials); sseguard does not create buckets", b.Name)
		return
	}
	row.Region = ob.Region
	row.Observed = c.describeObserved(ob.Encryption)
	if b.Region != "" && b.Region != ob.Region {
		bc.block(BlockRegionMismatch, "bucket %s is in %s but the policy says %s", b.Name, ob.Region, b.Region)
		return
	}
	bc.region = ob.Region
	bc.observed = ob
	if !bc.principalsExist() || !bc.principalsTrusted() {
		return
	}

	switch b.Encryption {
	case policy.SSES3:
		bc.sseS3()
	case policy.SSEKMS:
		bc.sseKMS()
	}
	if len(bc.blockers) == 0 && bc.want != nil {
		row.Objects = ob.Objects
		// The bucket policy first: re-encryption depends on it (see kindOrder).
		bc.bucketPolicy()
		bc.objects()
	}
}

// dependsOnAny reports whether c depends on one of the changes in ids.
func dependsOnAny(c Change, ids map[string]bool) bool {
	for _, d := range c.DependsOn {
		if ids[d] {
			return true
		}
	}
	return false
}

// objects plans the re-encryption of existing objects, or warns about them in report mode.
func (bc *bucketPlan) objects() {
	ob := bc.observed
	ch := Change{
		ID: string(ReencryptObjects) + "/" + bc.b.Name, Kind: ReencryptObjects,
		Bucket: bc.b.Name, Region: bc.region, Line: bc.b.Pos.Line,
		After: "every object " + describeRequired(bc.b), Rule: bc.want, DependsOn: bc.wantDeps,
		Prefixes: bc.b.Prefixes,
	}
	if bc.policyChange != "" {
		// sseguard's own upload statements judge its copies: they must name the new key first.
		ch.DependsOn = append(append([]string(nil), ch.DependsOn...), bc.policyChange)
	}
	if len(bc.b.Prefixes) > 0 {
		ch.After += " under " + strings.Join(bc.b.Prefixes, ", ")
	}
	if ob.ObjectsDeferred {
		ch.Before = "existing objects (apply scans and re-encrypts them in one pass)"
		bc.changes = append(bc.changes, ch)
		return
	}
	o := ob.Objects
	if o == nil {
		return
	}
	if n := skippedTotal(o); n > 0 {
		bc.warn(WarnObjectsSkipped, "%d objects in %s cannot be re-encrypted in place (%s); they keep their current encryption",
			n, bc.b.Name, countsText(o.Skipped))
	}
	if o.Noncurrent > 0 {
		bc.warn(WarnNoncurrentVersions, "%d noncurrent versions in %s keep their old encryption; sseguard never deletes a version (expire them with a lifecycle rule if they must go)",
			o.Noncurrent, bc.b.Name)
	}
	if o.Failed > 0 {
		bc.warn(WarnObjectsUnreadable, "%d objects in %s could not be read (HeadObject failed): their encryption is unknown; the JSON plan lists them with the error",
			o.Failed, bc.b.Name)
	}
	n := o.TotalToFix()
	if n == 0 {
		return
	}
	ch.Before = fmt.Sprintf("%d of %d objects not as required (%s)", n, o.Scanned, countsText(o.ToFix))
	if bc.b.ExistingObjects != policy.ObjectsReencrypt {
		bc.warn(WarnObjectsNotCompliant, "%s (existing_objects: %s; set it to reencrypt to fix them on apply)",
			ch.Before, bc.b.ExistingObjects)
		return
	}
	const shown = 5
	for i, s := range o.Sample {
		if i == shown {
			ch.Details = append(ch.Details, fmt.Sprintf("… and %d more (the JSON plan lists them all)", n-shown))
			break
		}
		ch.Details = append(ch.Details, s.Kind+": "+s.Key)
	}
	bc.changes = append(bc.changes, ch)
}

func skippedTotal(o *ObjectCounts) int {
	n := 0
	for _, v := range o.Skipped {
		n += v
	}
	return n
}

// countsText renders a count map in a stable order: "3 unencrypted, 2 sse-s3".
func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// principalsExist blocks the bucket when a principal its key policy must name does not exist:
// KMS refuses a key policy naming one (MalformedPolicyDocumentException), so nothing could be fixed.
func (bc *bucketPlan) principalsExist() bool {
	missing := func(p string) bool {
		exists, checked := bc.c.st.Principals[p]
		return checked && !exists
	}
	ok := true
	if p := bc.b.TranscoderPrincipal; p != "" && missing(p) {
		bc.block(BlockPrincipalMissing, "transcoder_principal %s does not exist (IAM answered NoSuchEntity): AWS would reject a key policy naming it; create the role or fix the ARN", p)
		ok = false
	}
	if k, found := bc.c.pol.KeyByAlias(bc.b.KMSKey); found {
		for _, a := range k.Administrators {
			if missing(a) {
				bc.block(BlockPrincipalMissing, "administrator %s of %s does not exist (IAM answered NoSuchEntity): AWS would reject a key policy naming it", a, k.Alias)
				ok = false
			}
		}
	}
	return ok
}

// principalsTrusted blocks the bucket when a principal its key policy would grant is in an account
// that is neither the home account nor one the policy trusts. With account: set, validation already
// refused such a principal at its line; without it, the home account is the caller's, known only now.
func (bc *bucketPlan) principalsTrusted() bool {
	ok := true
	check := func(what, p string) {
		acct := iampolicy.AccountOf(p)
		if acct == "" || acct == bc.c.st.Account || slices.Contains(bc.c.pol.TrustedAccounts, acct) {
			return
		}
		bc.block(BlockPrincipalOtherAccount, "%s %s is in account %s, not this account (%s) nor one listed under trusted_accounts: sseguard does not grant it access to the key; list %s under trusted_accounts if it may be granted",
			what, p, acct, bc.c.st.Account, acct)
		ok = false
	}
	if p := bc.b.TranscoderPrincipal; p != "" {
		check("transcoder_principal", p)
	}
	if k, found := bc.c.pol.KeyByAlias(bc.b.KMSKey); found {
		for _, a := range k.Administrators {
			check("administrator of "+k.Alias, a)
		}
	}
	return ok
}

// keyChange is a create-key change shared by every bucket that uses the key. It enters the plan
// with the first bucket that needs it and is not blocked.
type keyChange struct {
	change  *Change
	planned bool
}

type bucketPlan struct {
	c *computer
	// policyChange is the ID of the bucket's update-bucket-policy change, when there is one.
	policyChange string
	b            policy.Bucket
	region       string
	observed     *state.Bucket
	changes      []Change
	keyChanges   []*keyChange
	// want is the rule the bucket must end up with, and the changes it depends on.
	want     *Rule
	wantDeps []string
	blockers []Blocker
	warnings []Warning
}

func (bc *bucketPlan) block(code, format string, args ...any) {
	bc.blockers = append(bc.blockers, Blocker{Code: code, Bucket: bc.b.Name, Region: bc.region,
		Line: bc.b.Pos.Line, Message: fmt.Sprintf(format, args...)})
}

func (bc *bucketPlan) warn(code, format string, args ...any) {
	bc.warnings = append(bc.warnings, Warning{Code: code, Bucket: bc.b.Name, Line: bc.b.Pos.Line,
		Message: fmt.Sprintf(format, args...)})
}

func (bc *bucketPlan) sseS3() {
	r := bc.observed.Encryption
	rule := &Rule{Algorithm: AlgAES256, BlockedEncryptionTypes: bc.blockedTypes()}
	bc.want = rule
	var why []string
	switch {
	case r == nil || r.Algorithm != AlgAES256:
		bc.warnObservedKey()
	case !slices.Equal(r.BlockedEncryptionTypes, rule.BlockedEncryptionTypes):
		why = append(why, blockedWhy)
	default:
		return
	}
	bc.changes = append(bc.changes, Change{
		ID: string(SetDefaultEncryption) + "/" + bc.b.Name, Kind: SetDefaultEncryption,
		Bucket: bc.b.Name, Region: bc.region, Line: bc.b.Pos.Line,
		Before: bc.c.describeObserved(r), After: describeRule(rule, ""), Details: why,
		Rule: rule,
	})
}

// blockedWhy explains a rule rewritten to block SSE-C uploads.
const blockedWhy = "enforce_on_upload: the rule blocks uploads encrypted with customer-provided keys (SSE-C), which no bucket policy can refuse by key"

// blockedTypes is the BlockedEncryptionTypes a rule written for this bucket carries: what was
// observed (nil when the bucket has none), plus SSE-C when the policy enforces uploads.
func (bc *bucketPlan) blockedTypes() []string {
	var observed []string
	if r := bc.observed.Encryption; r != nil {
		observed = r.BlockedEncryptionTypes
	}
	if !bc.b.EnforceOnUpload || slices.Contains(observed, EncryptionTypeSSEC) {
		return observed
	}
	out := []string{}
	for _, t := range observed {
		if t != EncryptionTypeNone {
			out = append(out, t)
		}
	}
	return append(out, EncryptionTypeSSEC)
}

// Encryption types of S3's BlockedEncryptionTypes.
const (
	EncryptionTypeSSEC = "SSE-C"
	EncryptionTypeNone = "NONE"
)

func (bc *bucketPlan) sseKMS() {
	want, ok := bc.desiredKey()
	if !ok {
		return
	}
	r := bc.observed.Encryption
	rule := &Rule{Algorithm: AlgKMS, KeyARN: want.arn, BucketKey: bc.b.BucketKey, BlockedEncryptionTypes: bc.blockedTypes()}
	ch := Change{
		Bucket: bc.b.Name, Region: bc.region, Line: bc.b.Pos.Line,
		Before: bc.c.describeObserved(r), After: describeRule(rule, bc.b.KMSKey), Rule: rule,
		// The bucket is switched to the key only once the key is as required: created, its
		// policy granting the transcoder, rotation on where asked.
		DependsOn: want.deps,
	}
	if want.create != nil {
		rule.Alias = want.create.change.Alias
		bc.keyChanges = append(bc.keyChanges, want.create)
		if want.rotate != nil {
			bc.keyChanges = append(bc.keyChanges, want.rotate)
		}
	}
	bc.want, bc.wantDeps = rule, ch.DependsOn
	switch {
	case r != nil && r.Algorithm == AlgKMS && want.arn != "" && r.KeyARN == want.arn:
		var why []string
		if r.KeyRef != r.KeyARN {
			why = append(why, fmt.Sprintf("the rule names the key as %s; sseguard writes the key ARN: S3 resolves an alias or key id in the account of whoever uploads, so an upload from another account (or an alias pointed elsewhere later) would use another key", r.KeyRef))
		}
		if !slices.Equal(r.BlockedEncryptionTypes, rule.BlockedEncryptionTypes) {
			why = append(why, blockedWhy)
		}
		switch {
		case len(why) > 0:
			ch.Kind, ch.Details = SetDefaultEncryption, why
		case r.BucketKey == bc.b.BucketKey:
			return
		case bc.b.BucketKey:
			ch.Kind = EnableBucketKey
		default:
			ch.Kind = SetDefaultEncryption
		}
	default:
		bc.warnObservedKey()
		ch.Kind = SetDefaultEncryption
	}
	ch.ID = string(ch.Kind) + "/" + bc.b.Name
	bc.changes = append(bc.changes, ch)
}

// describeRule renders a rule to write for people; name is how the policy names the key.
func describeRule(r *Rule, name string) string {
	s := "SSE-S3 (AES256)"
	if r.Algorithm == AlgKMS {
		s = "SSE-KMS " + name
		if r.BucketKey {
			s += " (bucket key)"
		}
	}
	if slices.Contains(r.BlockedEncryptionTypes, EncryptionTypeSSEC) {
		s += ", SSE-C uploads blocked"
	}
	return s
}

// warnObservedKey warns when the rule being replaced uses a key that is going away: objects
// written under it stay encrypted under it.
func (bc *bucketPlan) warnObservedKey() {
	r := bc.observed.Encryption
	if r == nil || r.KeyRef == "" {
		return
	}
	k := bc.c.st.Keys[state.KeyRef{Region: bc.region, Ref: r.KeyRef}]
	if k == nil || !k.Found {
		return
	}
	switch k.State {
	case "PendingDeletion", "PendingReplicaDeletion", "Disabled":
		bc.warn(map[string]string{"PendingDeletion": WarnObservedKeyPending, "PendingReplicaDeletion": WarnObservedKeyReplicaDel, "Disabled": WarnObservedKeyDisabled}[k.State], "bucket %s is currently encrypted with key %s, which is %s: objects already encrypted under it become unreadable when it is deleted; re-encrypt them (existing_objects: reencrypt) before that happens",
			bc.b.Name, k.ARN, k.State)
	}
}

// wantKey is the key a bucket must use: its ARN when it exists, or the change that creates it
// (and the one that turns its rotation on); deps are the key's changes the bucket must wait for.
type wantKey struct {
	arn            string
	create, rotate *keyChange
	deps           []string
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
		w := wantKey{create: create, rotate: rotate, deps: []string{create.change.ID}}
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
			for _, m := range u.blockers {
				bc.block(BlockKeyPolicyConflict, "%s", m)
			}
			return wantKey{}, false
		}
		bc.keyChanges = append(bc.keyChanges, u.changes...)
		w := wantKey{arn: k.ARN}
		for _, kc := range u.changes {
			w.deps = append(w.deps, kc.change.ID)
		}
		return w, true
	}
	return wantKey{arn: k.ARN}, true
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
		// who cannot delete, key users, and grants for AWS resources. Every grant is shown.
		doc := iampolicy.KeyPolicy(u.policySpec(c.st))
		if text, err := doc.JSON(); err == nil {
			nk.Policy = text
			ch.Details = diffText(iampolicy.Diff(nil, doc))
			ch.Grants = grantsOf(doc)
		}
	}
	create = &keyChange{change: ch}
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

func describeRequired(b policy.Bucket) string {
	if b.Encryption == policy.SSES3 {
		return "SSE-S3 (AES256)"
	}
	s := "SSE-KMS " + b.KMSKey
	if b.BucketKey {
		s += " (bucket key)"
	}
	return s
}

func (c *computer) describeObserved(r *state.Rule) string {
	if r == nil {
		return "none"
	}
	switch r.Algorithm {
	case AlgAES256:
		return "SSE-S3 (AES256)" + blockedText(r.BlockedEncryptionTypes)
	case AlgKMS:
		s := "SSE-KMS"
		switch {
		case r.KeyRef == "":
			s += " aws/s3 (AWS managed)"
		case r.KeyARN != "" && r.KeyARN != r.KeyRef:
			s += " " + r.KeyRef + " (" + r.KeyARN + ")"
		default:
			s += " " + r.KeyRef
		}
		if r.BucketKey {
			s += " (bucket key)"
		}
		return s + blockedText(r.BlockedEncryptionTypes)
	default:
		return r.Algorithm + blockedText(r.BlockedEncryptionTypes)
	}
}

func blockedText(types []string) string {
	if slices.Contains(types, EncryptionTypeSSEC) {
		return ", SSE-C uploads blocked"
	}
	return ""
}

func (p *Plan) sort() {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		return a.ID < b.ID
	})
	sort.SliceStable(p.Blockers, func(i, j int) bool {
		a, b := p.Blockers[i], p.Blockers[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Code < b.Code
	})
	sort.SliceStable(p.Warnings, func(i, j int) bool {
		a, b := p.Warnings[i], p.Warnings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Code < b.Code
	})
	sort.SliceStable(p.Buckets, func(i, j int) bool { return p.Buckets[i].Line < p.Buckets[j].Line })
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	if p.Blockers == nil {
		p.Blockers = []Blocker{}
	}
	if p.Warnings == nil {
		p.Warnings = []Warning{}
	}
}
