package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

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
		if bi, ok := bc.c.in.Batch[bc.b.Name]; ok && len(bi.Jobs) > 0 {
			ch.Before = "existing objects (Batch Operations jobs are re-encrypting them)"
		}
		if ch, ok := bc.withEngine(ch); ok {
			bc.changes = append(bc.changes, ch)
		}
		return
	}
	o := ob.Objects
	if o == nil {
		return
	}
	bc.batchCheck(o)
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
		bc.warn(WarnObjectsNotCompliant, "%s (existing_objects: %s; set it to reencrypt to fix them on apply: re-encrypting them here would cost %s)",
			ch.Before, bc.b.ExistingObjects, CostText(localCost(o, bc.want, bc.c.in.prices())))
		return
	}
	ch.Details = append(ch.Details, SampleDetails(o.Sample, n)...)
	if ch, ok := bc.withEngine(ch); ok {
		bc.changes = append(bc.changes, ch)
	}
}

// SampleDetails are the detail lines of a reencrypt-objects change that name objects to fix:
// the first few of the scan's sample, then how many more there are of total. Reports that leave
// samples out recognise them by these lines.
func SampleDetails(sample []ObjectSample, total int) []string {
	const shown = 5
	var out []string
	for i, s := range sample {
		if i == shown {
			out = append(out, fmt.Sprintf("… and %d more (the JSON plan lists them all)", total-shown))
			break
		}
		out = append(out, s.Kind+": "+s.Key)
	}
	return out
}

// batchCheck says what the check scan after a finished generation of Batch Operations jobs
// found: nothing to fix (the bucket is in sync), or objects too large for a copy job.
func (bc *bucketPlan) batchCheck(o *ObjectCounts) {
	bi, ok := bc.c.in.Batch[bc.b.Name]
	if !ok || !bi.Finished || len(bi.Jobs) == 0 {
		return
	}
	var ids, unclean []string
	for _, j := range bi.Jobs {
		ids = append(ids, "job "+j.ID+" "+j.Status)
		if why := j.DidNotFinishCleanly(); why != "" {
			unclean = append(unclean, "job "+j.ID+": "+why)
		}
	}
	ended := fmt.Sprintf("Batch Operations generation %d has ended (%s)", bi.Generation, strings.Join(ids, ", "))
	if len(unclean) > 0 {
		ended += "; it did not finish cleanly (" + strings.Join(unclean, "; ") + ")"
	}
	switch n := o.TotalToFix(); {
	case n == 0 && o.Remaining > 0:
		bc.warn(WarnBatchChecked, "%s; the check scan read %d objects of %s within the run's budget and found none to fix; %d were not checked (raise --max-objects, or give the bucket an S3 Inventory with EncryptionStatus)",
			ended, o.Scanned, bc.b.Name, o.Remaining)
	case n == 0:
		bc.warn(WarnBatchChecked, "%s; the check scan found nothing to fix in %s (%d objects read): its objects are as required", ended, bc.b.Name, o.Scanned)
	}
	if t := bi.Left; t != nil && sumOf(t.TooLarge) > 0 {
		bc.warn(WarnBatchTooLarge, "%d objects in %s are over %s (%s): a Batch Operations copy cannot take them and no job will; once no job is left the local engine re-encrypts them, copying them in parts",
			sumOf(t.TooLarge), bc.b.Name, sizeText(MaxBatchCopySize), countsText(t.TooLarge))
	}
}

func skippedTotal(o *ObjectCounts) int {
	n := 0
	for _, v := range o.Skipped {
		n += v
	}
	return n
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
	for _, p := range bc.b.Readers {
		if missing(p) {
			bc.block(BlockPrincipalMissing, "readers entry %s does not exist (IAM answered NoSuchEntity): AWS would reject a key policy naming it; create it or remove it from readers", p)
			ok = false
		}
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
	for _, p := range bc.b.Readers {
		check("readers entry", p)
	}
	if k, found := bc.c.pol.KeyByAlias(bc.b.KMSKey); found {
		for _, a := range k.Administrators {
			check("administrator of "+k.Alias, a)
		}
	}
	return ok
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
	// switching says the bucket moves to its key (from SSE-S3, no rule, or another key);
	// wantKey is that key.
	switching bool
	wantKey   wantKey
	blockers  []Blocker
	warnings  []Warning
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
		Before: DescribeObserved(r), After: describeRule(rule, ""), Details: why,
		Rule: rule, ObservedRule: r,
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
		Before: DescribeObserved(r), After: describeRule(rule, bc.b.KMSKey), Rule: rule, ObservedRule: r,
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
	bc.want, bc.wantDeps, bc.wantKey = rule, ch.DependsOn, want
	bc.switching = !(r != nil && r.Algorithm == AlgKMS && want.arn != "" && r.KeyARN == want.arn)
	switch {
	case !bc.switching:
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
