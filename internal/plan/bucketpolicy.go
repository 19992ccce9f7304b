package plan

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

func findingsText(fs []iampolicy.Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Message
	}
	return strings.Join(parts, "; ")
}

// bucketPolicy plans the statements sseguard owns in the bucket policy: upload enforcement and
// TLS. It judges the existing policy by evaluation, so a policy that already guarantees the same
// by other statements is left alone.
func (bc *bucketPlan) bucketPolicy() {
	b := bc.b
	keyARN := bc.want.KeyARN
	if bc.want.Algorithm == AlgKMS && keyARN == "" {
		keyARN = KeyARNPlaceholder
	}
	var doc *iampolicy.Document
	if bc.observed.Policy != "" {
		d, err := iampolicy.Parse(bc.observed.Policy)
		if err != nil {
			bc.block(BlockObserveFailed, "the bucket policy of %s cannot be judged: %v", b.Name, err)
			return
		}
		doc = d
	}
	spec := bc.bucketSpec(keyARN)
	stale := doc != nil && hasOwned(doc) && !b.EnforceOnUpload && !b.RequireTLS
	if !b.EnforceOnUpload && !b.RequireTLS && !stale {
		return
	}
	merged := iampolicy.Merge(doc, iampolicy.BucketStatements(spec))
	var fixed []iampolicy.Finding
	var exempt []string
	if keyARN != KeyARNPlaceholder {
		fixed, exempt = bc.judgeBucketPolicy(doc, merged, spec)
		if len(fixed) == 0 && !stale {
			return
		}
	}
	ch := Change{
		ID: string(UpdateBucketPolicy) + "/" + b.Name, Kind: UpdateBucketPolicy,
		Bucket: b.Name, Region: bc.region, Line: b.Pos.Line,
		After: bucketPolicyAfter(b), DependsOn: bc.wantDeps, Rule: bc.want,
		ObservedDocument: bc.observed.Policy, Before: bucketPolicyBefore(doc, fixed, stale),
	}
	if len(merged.Statements) == 0 {
		// S3 refuses a policy with an empty statement list (MalformedPolicy): the policy held
		// only sseguard's statements, so it is deleted — the only deletion sseguard ever makes.
		ch.DeleteDocument = true
		ch.After = "bucket policy deleted: it held only sseguard's statements, and S3 refuses a policy with none"
	} else {
		text, err := merged.JSON()
		if err != nil {
			bc.block(BlockObserveFailed, "render the bucket policy of %s: %v", b.Name, err)
			return
		}
		ch.Document = text
	}
	prev := doc
	if prev == nil {
		prev = &iampolicy.Document{}
	}
	ch.Details = append(exempt, diffText(iampolicy.Diff(prev, merged))...)
	if gone := iampolicy.DeletedPrincipals(doc); len(gone) > 0 {
		// AWS refuses to store a policy holding a deleted principal's unique id: nothing
		// sseguard writes can be stored until the statement is fixed. This change (and what
		// depends on it) stops; the bucket's other changes go on.
		bc.blockers = append(bc.blockers, Blocker{Code: BlockDeletedPrincipal, Change: ch.ID, Bucket: b.Name, Region: bc.region,
			Line: b.Pos.Line, Message: deletedText("bucket policy of "+b.Name, gone)})
	}
	bc.changes = append(bc.changes, ch)
	bc.policyChange = ch.ID
}

// bucketSpec is what the bucket policy must guarantee, with the key (keyARN, or the placeholder
// of a key this apply creates) and every name clients may give it.
func (bc *bucketPlan) bucketSpec(keyARN string) iampolicy.BucketSpec {
	b := bc.b
	spec := iampolicy.BucketSpec{Partition: bc.c.st.Partition, Bucket: b.Name, Algorithm: AlgAES256, KeyARN: keyARN,
		EnforceOnUpload: b.EnforceOnUpload, RequireTLS: b.RequireTLS}
	if b.Encryption == policy.SSEKMS {
		spec.Algorithm = AlgKMS
		// Clients may name the key by id, alias or alias ARN: the upload Deny accepts each.
		var aliases []string
		if strings.HasPrefix(b.KMSKey, "alias/") || strings.Contains(b.KMSKey, ":alias/") {
			aliases = append(aliases, b.KMSKey)
		}
		if keyARN == KeyARNPlaceholder {
			spec.KeyNames = newKeyNames(bc.c.st, bc.region, aliases)
		} else {
			spec.KeyNames = iampolicy.KeyNamesOf(keyARN, aliases...)
		}
	}
	return spec
}

// judgeBucketPolicy judges the policy before and after merging: what merging cures is sseguard's
// to fix (fixed, including its own stale statements); what remains comes from statements it does
// not own and is warned about. exempt says which existing Deny statements do not count as
// enforcement, and why.
func (bc *bucketPlan) judgeBucketPolicy(doc, merged *iampolicy.Document, spec iampolicy.BucketSpec) (fixed []iampolicy.Finding, exempt []string) {
	after := map[string]bool{}
	for _, f := range iampolicy.CheckBucketPolicy(merged, spec) {
		after[f.Code] = true
		code, ok := bucketPolicyWarning[f.Code]
		if !ok {
			code = WarnBucketPolicyOther
		}
		bc.warn(code, "bucket policy of %s: %s (from a statement sseguard does not own; left as it is)", bc.b.Name, f.Message)
	}
	for _, f := range iampolicy.CheckBucketPolicy(doc, spec) {
		if !after[f.Code] {
			fixed = append(fixed, f)
		}
		for _, e := range f.Exemptions {
			exempt = append(exempt, fmt.Sprintf("statement %s does not count as enforcement: it %s", e.Statement, strings.Join(e.Reasons, "; ")))
		}
	}
	return fixed, exempt
}

// bucketPolicyBefore says what the policy change replaces: what it fixes, sseguard's own stale
// statements, or a policy without them.
func bucketPolicyBefore(doc *iampolicy.Document, fixed []iampolicy.Finding, stale bool) string {
	switch {
	case len(fixed) > 0:
		return findingsText(fixed)
	case stale:
		return "statements sseguard added earlier, no longer asked for"
	case doc != nil:
		return "bucket policy without sseguard's statements"
	}
	return "no bucket policy"
}

// newKeyNames are the names a key created in this apply will answer to, in documents written
// before it exists: its ARN and id (placeholders apply fills in) and its alias, as name and ARN.
func newKeyNames(st *state.State, region string, aliases []string) []string {
	out := []string{KeyIDPlaceholder}
	for _, a := range aliases {
		out = append(out, a, fmt.Sprintf("arn:%s:kms:%s:%s:%s", st.Partition, region, st.Account, a))
	}
	return out
}

func hasOwned(d *iampolicy.Document) bool {
	for _, s := range d.Statements {
		if s.Owned() {
			return true
		}
	}
	return false
}

func bucketPolicyAfter(b policy.Bucket) string {
	var parts []string
	if b.EnforceOnUpload {
		parts = append(parts, "uploads asking for another encryption or key are refused")
	}
	if b.RequireTLS {
		parts = append(parts, "requests without TLS are refused")
	}
	if len(parts) == 0 {
		return "sseguard's statements removed; every other statement kept"
	}
	return strings.Join(parts, "; ") + "; every other statement kept"
}
