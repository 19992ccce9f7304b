package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// KeyARNPlaceholder and KeyIDPlaceholder stand for the ARN and id of a key created earlier in the
// same apply, in documents written before the key exists (a bucket policy naming the new key).
// Apply always substitutes them before writing (they look like policy variables, which a
// 2012-10-17 document would otherwise try to resolve).
const (
	KeyARNPlaceholder = "${sseguard:created-key-arn}"
	KeyIDPlaceholder  = "${sseguard:created-key-id}"
)

// keyUse is everything the policy asks of one key, gathered over all the buckets using it.
type keyUse struct {
	ref   state.KeyRef
	key   *state.Key
	spec  policy.Key // the keys entry; zero when the policy has none
	users map[string]bool
	// analysed: changes shared by the key's buckets, and blocker messages.
	changes  []*keyChange
	blockers []string
	warnings []warning
	done     bool
}

// warning is a warning about a key, shown on each bucket that uses it.
type warning struct{ code, message string }

// keyUses groups the policy's SSE-KMS buckets by the key they must use, so that a key shared
// by several buckets gets one key policy granting every transcoder.
// Buckets naming one key differently (alias, key ARN, alias ARN) share one keyUse.
func (c *computer) keyUses() map[state.KeyRef]*keyUse {
	uses := map[state.KeyRef]*keyUse{}
	byARN := map[string]*keyUse{}
	for _, b := range c.pol.Buckets {
		ob := c.st.Buckets[b.Name]
		if b.Encryption != policy.SSEKMS || ob == nil || !ob.Exists {
			continue
		}
		kr := state.DesiredKeyRef(c.pol, b, ob.Region)
		u := uses[kr]
		if k := c.st.Keys[kr]; u == nil && k != nil && k.Found {
			u = byARN[k.ARN]
		}
		if u == nil {
			u = &keyUse{ref: kr, key: c.st.Keys[kr], users: map[string]bool{}}
			u.spec.Rotation = true
			if u.key != nil && u.key.Found {
				byARN[u.key.ARN] = u
			}
		}
		uses[kr] = u
		if spec, ok := c.pol.KeyByAlias(b.KMSKey); ok {
			// The keys entry, by whichever alias names it; an alias entry wins over none.
			u.spec = spec
		}
		if b.TranscoderPrincipal != "" {
			u.users[b.TranscoderPrincipal] = true
		}
	}
	return uses
}

func (u *keyUse) policySpec(st *state.State) iampolicy.KeyPolicySpec {
	users := make([]string, 0, len(u.users))
	for p := range u.users {
		users = append(users, p)
	}
	sort.Strings(users)
	return iampolicy.KeyPolicySpec{Partition: st.Partition, Account: st.Account, Administrators: u.spec.Administrators,
		AllowAdminDelete: u.spec.AllowAdminDelete, Users: users}
}

// analyse judges an existing customer managed key's policy and rotation, once per key.
func (c *computer) analyse(u *keyUse, line int) {
	if u.done {
		return
	}
	u.done = true
	k := u.key
	spec := u.policySpec(c.st)
	if k.Policy == "" {
		// A refused read blocks the bucket before analysis (bucketPlan.readable); KMS never
		// answers an empty policy, so this is a state built without one.
		u.warnings = append(u.warnings, warning{WarnKeyPolicy, fmt.Sprintf("the key policy of %s was not read: its grants were not checked", k.ARN)})
	} else if doc, err := iampolicy.Parse(k.Policy); err != nil {
		u.blockers = append(u.blockers, fmt.Sprintf("the key policy of %s cannot be judged: %v", k.ARN, err))
	} else {
		findings := iampolicy.CheckKeyPolicy(doc, iampolicy.KeyRequirements{Partition: iampolicy.PartitionOf(k.ARN), Account: c.st.Account,
			KeyARN: k.ARN, TrustedAccounts: c.pol.TrustedAccounts,
			Users: spec.Users, Administrators: spec.Administrators, AllowAdminDelete: spec.AllowAdminDelete})
		var fixable []iampolicy.Finding
		for _, f := range findings {
			switch {
			case f.Blocker:
				u.blockers = append(u.blockers, fmt.Sprintf("key policy of %s: %s", k.ARN, f.Message))
			case f.Code == iampolicy.CodeRootMissing || f.Code == iampolicy.CodeUnjudged:
				u.warnings = append(u.warnings, warning{WarnKeyPolicy, fmt.Sprintf("key policy of %s: %s", k.ARN, f.Message)})
			default:
				fixable = append(fixable, f)
			}
		}
		if gone := iampolicy.DeletedPrincipals(doc); len(fixable) > 0 && len(gone) > 0 {
			// The bucket cannot be switched to a key whose policy cannot be fixed: every bucket
			// using it is blocked, with the statement named.
			u.blockers = append(u.blockers, deletedText("key policy of "+k.ARN, gone))
		}
		if len(fixable) > 0 && len(u.blockers) == 0 {
			merged := iampolicy.Merge(doc, iampolicy.KeyStatements(spec))
			text, err := merged.JSON()
			if err != nil {
				u.blockers = append(u.blockers, fmt.Sprintf("render the key policy of %s: %v", k.ARN, err))
			} else {
				ch := &Change{
					ID: string(UpdateKeyPolicy) + "/" + u.ref.Region + "/" + k.ARN, Kind: UpdateKeyPolicy,
					Alias: aliasOf(u.ref.Ref), Region: u.ref.Region, Line: line, KeyARN: k.ARN,
					Before: keyFindingsSummary(fixable), After: "sseguard's statements merged in; every other statement kept",
					Details: append(keyFindingLines(fixable), diffText(iampolicy.Diff(doc, merged))...), Document: text, ObservedDocument: k.Policy,
					Grants: grantsOf(merged),
				}
				u.changes = append(u.changes, &keyChange{change: ch})
			}
		}
	}
	if why := k.NotRotatable(); u.spec.Rotation && why != "" {
		u.warnings = append(u.warnings, warning{WarnRotationUnsupported, fmt.Sprintf("rotation is asked for key %s, but %s", k.ARN, why)})
	} else if u.spec.Rotation && k.Rotation != nil && !*k.Rotation {
		u.changes = append(u.changes, &keyChange{change: &Change{
			ID: string(EnableKeyRotation) + "/" + u.ref.Region + "/" + k.ARN, Kind: EnableKeyRotation,
			Alias: aliasOf(u.ref.Ref), Region: u.ref.Region, Line: line, KeyARN: k.ARN,
			Before: "automatic rotation off", After: "automatic rotation on (yearly)",
		}})
	}
}

func aliasOf(ref string) string {
	if strings.HasPrefix(ref, "alias/") {
		return ref
	}
	return ""
}

func findingsText(fs []iampolicy.Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Message
	}
	return strings.Join(parts, "; ")
}

// keyFindingsSummary says in a few words what a key policy lacks; keyFindingLines give the detail,
// one short line per principal and purpose.
func keyFindingsSummary(fs []iampolicy.Finding) string {
	principals := map[string]bool{}
	for _, f := range fs {
		principals[f.Principal] = true
	}
	if len(principals) == 1 {
		return "the key policy does not give 1 principal what it needs"
	}
	return fmt.Sprintf("the key policy does not give %d principals what they need", len(principals))
}

// keyFindingPurpose words each key policy finding as what its principal cannot do.
var keyFindingPurpose = map[string]string{
	iampolicy.CodeUserMissingUse:   "may not use the key",
	iampolicy.CodeUserMissingGrant: "may not create grants for AWS resources",
	iampolicy.CodeAdminMissing:     "may not administer the key",
	iampolicy.CodeAdminCanDelete:   "is not explicitly denied deleting the key",
}

func keyFindingLines(fs []iampolicy.Finding) []string {
	var out []string
	for _, f := range fs {
		purpose, ok := keyFindingPurpose[f.Code]
		if !ok || f.Principal == "" {
			out = append(out, f.Message)
			continue
		}
		out = append(out, fmt.Sprintf("%s %s (%s)", f.Principal, purpose, shortList(f.Actions, 3)))
	}
	return out
}

// shortList renders at most n values, then how many more.
func shortList(vs []string, n int) string {
	if len(vs) <= n {
		return strings.Join(vs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(vs[:n], ", "), len(vs)-n)
}

// displayPlaceholders spells the placeholders of a key created in the same apply as words, for
// people; documents keep the placeholders, which apply fills in.
var displayPlaceholders = strings.NewReplacer(
	KeyARNPlaceholder, "(the new key's ARN, known after apply)",
	KeyIDPlaceholder, "(the new key's id, known after apply)",
)

func diffText(changes []iampolicy.StatementChange) []string {
	var out []string
	for _, c := range changes {
		head := fmt.Sprintf("%s statement %s", c.Kind, c.Sid)
		if len(c.Summary) == 0 {
			out = append(out, head)
			continue
		}
		for _, s := range c.Summary {
			out = append(out, displayPlaceholders.Replace(head+": "+s))
		}
	}
	return out
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
	stale := doc != nil && hasOwned(doc) && !b.EnforceOnUpload && !b.RequireTLS
	if !b.EnforceOnUpload && !b.RequireTLS && !stale {
		return
	}
	merged := iampolicy.Merge(doc, iampolicy.BucketStatements(spec))
	var fixed []iampolicy.Finding
	var exempt []string
	if keyARN != KeyARNPlaceholder {
		// Judge before and after merging: what merging cures is sseguard's to fix (including
		// its own stale statements); what remains comes from statements it does not own.
		after := map[string]bool{}
		for _, f := range iampolicy.CheckBucketPolicy(merged, spec) {
			after[f.Code] = true
			code, ok := bucketPolicyWarning[f.Code]
			if !ok {
				code = WarnBucketPolicyOther
			}
			bc.warn(code, "bucket policy of %s: %s (from a statement sseguard does not own; left as it is)", b.Name, f.Message)
		}
		for _, f := range iampolicy.CheckBucketPolicy(doc, spec) {
			if !after[f.Code] {
				fixed = append(fixed, f)
			}
			for _, e := range f.Exemptions {
				exempt = append(exempt, fmt.Sprintf("statement %s does not count as enforcement: it %s", e.Statement, strings.Join(e.Reasons, "; ")))
			}
		}
		if len(fixed) == 0 && !stale {
			return
		}
	}
	ch := Change{
		ID: string(UpdateBucketPolicy) + "/" + b.Name, Kind: UpdateBucketPolicy,
		Bucket: b.Name, Region: bc.region, Line: b.Pos.Line,
		After: bucketPolicyAfter(b), DependsOn: bc.wantDeps, Rule: bc.want,
		ObservedDocument: bc.observed.Policy,
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
	before := "no bucket policy"
	switch {
	case len(fixed) > 0:
		before = findingsText(fixed)
	case stale:
		before = "statements sseguard added earlier, no longer asked for"
	case doc != nil:
		before = "bucket policy without sseguard's statements"
	}
	ch.Before = before
	var prev *iampolicy.Document
	if doc != nil {
		prev = doc
	} else {
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

// deletedText names the statements holding deleted principals.
func deletedText(what string, gone []iampolicy.DeletedPrincipal) string {
	var parts []string
	for _, g := range gone {
		parts = append(parts, fmt.Sprintf("statement %s names %s in %s", g.Statement, g.Value, g.Element))
	}
	return fmt.Sprintf("the %s names a principal that was deleted (%s): AWS refuses to store any rewrite of it until that statement is fixed or removed; sseguard leaves it as it is",
		what, strings.Join(parts, "; "))
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

// grantsOf lists a document's statements as who may (or may not) do what.
func grantsOf(d *iampolicy.Document) []Grant {
	var out []Grant
	for _, g := range d.Grants() {
		pg := Grant{Sid: g.Statement.Sid, Effect: g.Effect, Actions: g.Actions}
		for _, p := range g.Principals {
			pg.Principals = append(pg.Principals, p.Value)
		}
		if len(g.NotPrincipals) > 0 {
			var not []string
			for _, p := range g.NotPrincipals {
				not = append(not, p.Value)
			}
			pg.Principals = []string{"everyone except " + strings.Join(not, ", ")}
		}
		if len(g.NotActions) > 0 {
			pg.Actions = []string{"every action except " + strings.Join(g.NotActions, ", ")}
		}
		for _, c := range g.Conditions {
			pg.Conditions = append(pg.Conditions, c.Operator+" "+c.Key+" "+strings.Join(c.Values, "|"))
		}
		out = append(out, pg)
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
