package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
)

// Algorithms as S3 names them.
const (
	AlgAES256 = "AES256"
	AlgKMS    = "aws:kms"
)

// Compute returns the plan that makes the account match the policy. It does no I/O.
func Compute(pol *policy.Policy, st *observe.State) *Plan {
	c := &computer{pol: pol, st: st, p: &Plan{PolicyPath: pol.Path, Account: st.Account}, keys: map[observe.KeyRef]*keyChange{}}
	c.uses = c.keyUses()
	c.run()
	c.p.sort()
	return c.p
}

type computer struct {
	pol  *policy.Policy
	st   *observe.State
	p    *Plan
	keys map[observe.KeyRef]*keyChange // create-key changes, by region and alias, shared by buckets
	uses map[observe.KeyRef]*keyUse    // what the policy asks of each key, over all its buckets
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
		if len(bc.blockers) > 0 {
			row.Status = Blocked
			c.p.Blockers = append(c.p.Blockers, bc.blockers...)
		} else {
			for _, ch := range bc.changes {
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
			if len(row.Changes) > 0 {
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
	if !bc.principalsExist() {
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
		bc.objects()
		keyARN := bc.want.KeyARN
		if bc.want.Algorithm == AlgKMS && keyARN == "" {
			keyARN = KeyARNPlaceholder
		}
		bc.bucketPolicy(keyARN)
	}
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
		bc.warn("objects-skipped", "%d objects in %s cannot be re-encrypted in place (%s); they keep their current encryption",
			n, bc.b.Name, countsText(o.Skipped))
	}
	if o.Noncurrent > 0 {
		bc.warn("noncurrent-versions", "%d noncurrent versions in %s keep their old encryption; sseguard never deletes a version (expire them with a lifecycle rule if they must go)",
			o.Noncurrent, bc.b.Name)
	}
	if o.Failed > 0 {
		bc.warn("objects-unreadable", "%d objects in %s could not be read (HeadObject failed): their encryption is unknown; the JSON plan lists them with the error",
			o.Failed, bc.b.Name)
	}
	n := o.TotalToFix()
	if n == 0 {
		return
	}
	ch.Before = fmt.Sprintf("%d of %d objects not as required (%s)", n, o.Scanned, countsText(o.ToFix))
	if bc.b.ExistingObjects != policy.ObjectsReencrypt {
		bc.warn("objects-not-compliant", "%s (existing_objects: %s; set it to reencrypt to fix them on apply)",
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

// keyChange is a create-key change shared by every bucket that uses the key. It enters the plan
// with the first bucket that needs it and is not blocked.
type keyChange struct {
	change  *Change
	planned bool
}

type bucketPlan struct {
	c          *computer
	b          policy.Bucket
	region     string
	observed   *observe.Bucket
	changes    []Change
	keyChanges []*keyChange
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
	bc.want = &Rule{Algorithm: AlgAES256}
	r := bc.observed.Encryption
	if r != nil && r.Algorithm == AlgAES256 {
		return
	}
	bc.warnObservedKey()
	bc.changes = append(bc.changes, Change{
		ID: string(SetDefaultEncryption) + "/" + bc.b.Name, Kind: SetDefaultEncryption,
		Bucket: bc.b.Name, Region: bc.region, Line: bc.b.Pos.Line,
		Before: bc.c.describeObserved(r), After: "SSE-S3 (AES256)",
		Rule: &Rule{Algorithm: AlgAES256},
	})
}

func (bc *bucketPlan) sseKMS() {
	want, ok := bc.desiredKey()
	if !ok {
		return
	}
	r := bc.observed.Encryption
	after := "SSE-KMS " + bc.b.KMSKey
	if bc.b.BucketKey {
		after += " (bucket key)"
	}
	rule := &Rule{Algorithm: AlgKMS, KeyARN: want.arn, BucketKey: bc.b.BucketKey}
	ch := Change{
		Bucket: bc.b.Name, Region: bc.region, Line: bc.b.Pos.Line,
		Before: bc.c.describeObserved(r), After: after, Rule: rule,
	}
	if want.create != nil {
		rule.Alias = want.create.change.Alias
		ch.DependsOn = []string{want.create.change.ID}
		bc.keyChanges = append(bc.keyChanges, want.create)
	}
	bc.want, bc.wantDeps = rule, ch.DependsOn
	switch {
	case r != nil && r.Algorithm == AlgKMS && want.arn != "" && r.KeyARN == want.arn:
		if r.BucketKey == bc.b.BucketKey {
			return
		}
		if bc.b.BucketKey {
			ch.Kind = EnableBucketKey
		} else {
			ch.Kind = SetDefaultEncryption
		}
	default:
		bc.warnObservedKey()
		ch.Kind = SetDefaultEncryption
	}
	ch.ID = string(ch.Kind) + "/" + bc.b.Name
	bc.changes = append(bc.changes, ch)
}

// warnObservedKey warns when the rule being replaced uses a key that is going away: objects
// written under it stay encrypted under it.
func (bc *bucketPlan) warnObservedKey() {
	r := bc.observed.Encryption
	if r == nil || r.KeyRef == "" {
		return
	}
	k := bc.c.st.Keys[observe.KeyRef{Region: bc.region, Ref: r.KeyRef}]
	if k == nil || !k.Found {
		return
	}
	switch k.State {
	case "PendingDeletion", "PendingReplicaDeletion", "Disabled":
		bc.warn("observed-key-"+strings.ToLower(k.State), "bucket %s is currently encrypted with key %s, which is %s: objects already encrypted under it become unreadable when it is deleted; re-encrypt them (existing_objects: reencrypt) before that happens",
			bc.b.Name, k.ARN, k.State)
	}
}

// wantKey is the key a bucket must use: its ARN when it exists, or the change that creates it.
type wantKey struct {
	arn    string
	create *keyChange
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

	kr := observe.KeyRef{Region: lookupRegion, Ref: ref}
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
		return wantKey{create: bc.c.createKey(kr, bc.b)}, true
	}
	if !bc.usable(k, ref) {
		return wantKey{}, false
	}
	if u := bc.c.uses[kr]; u != nil {
		line := bc.b.Pos.Line
		if u.spec.Pos.Line > 0 {
			line = u.spec.Pos.Line
		}
		bc.c.analyse(u, line)
		for _, w := range u.warnings {
			bc.warn("key-policy", "%s", w)
		}
		if len(u.blockers) > 0 {
			for _, m := range u.blockers {
				bc.block(BlockKeyPolicyConflict, "%s", m)
			}
			return wantKey{}, false
		}
		bc.keyChanges = append(bc.keyChanges, u.changes...)
	}
	return wantKey{arn: k.ARN}, true
}

// usable checks a found key can serve as this bucket's CMK, recording blockers.
func (bc *bucketPlan) usable(k *observe.Key, ref string) bool {
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

// createKey returns the (shared) change that creates the key for alias in region.
func (c *computer) createKey(kr observe.KeyRef, b policy.Bucket) *keyChange {
	if kc, ok := c.keys[kr]; ok {
		return kc
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
	nk := &NewKey{Alias: kr.Ref, Description: desc, Tags: spec.Tags, Rotation: spec.Rotation || spec.Pos.Line == 0}
	if u := c.uses[kr]; u != nil {
		// The whole key policy at creation, like the console's five steps: root, administrators
		// who cannot delete, key users, and grants for AWS resources.
		if text, err := iampolicy.KeyPolicy(u.policySpec(c.st.Account)).JSON(); err == nil {
			nk.Policy = text
		}
	}
	ch := &Change{
		ID: string(CreateKey) + "/" + kr.Region + "/" + kr.Ref, Kind: CreateKey,
		Alias: kr.Ref, Region: kr.Region, Line: line,
		Before: "no key", After: "customer managed key " + kr.Ref + ": " + desc,
		Key: nk,
	}
	kc := &keyChange{change: ch}
	c.keys[kr] = kc
	return kc
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

func (c *computer) describeObserved(r *observe.Rule) string {
	if r == nil {
		return "none"
	}
	switch r.Algorithm {
	case AlgAES256:
		return "SSE-S3 (AES256)"
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
		return s
	default:
		return r.Algorithm
	}
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
