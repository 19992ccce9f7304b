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
	// distributions are the CloudFront distributions of every bucket using the key.
	distributions map[string]bool
	// readers are the readers every bucket using the key lists; buckets are those buckets.
	readers map[string]bool
	buckets []policy.Bucket
	// analysed: changes shared by the key's buckets, blockers, and the key policy the plan
	// leaves the key with (the observed one when unchanged; nil when it cannot be judged).
	changes  []*keyChange
	blockers []keyBlocker
	warnings []warning
	planned  *iampolicy.Document
	done     bool
}

// keyBlocker is a blocker about a key, shown on each bucket that uses it.
type keyBlocker struct{ code, message string }

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
			u = &keyUse{ref: kr, key: c.st.Keys[kr], users: map[string]bool{}, distributions: map[string]bool{}, readers: map[string]bool{}}
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
		for _, d := range b.CloudFrontDistributions {
			u.distributions[d] = true
		}
		for _, r := range b.Readers {
			u.readers[r] = true
		}
		u.buckets = append(u.buckets, b)
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
		AllowAdminDelete: u.spec.AllowAdminDelete, Users: users, CloudFrontDistributions: sortedSet(u.distributions),
		Readers: sortedSet(u.readers), Region: u.ref.Region}
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
		u.block(BlockKeyPolicyConflict, "the key policy of %s cannot be judged: %v", k.ARN, err)
	} else {
		findings := iampolicy.CheckKeyPolicy(doc, iampolicy.KeyRequirements{Partition: iampolicy.PartitionOf(k.ARN), Account: c.st.Account,
			KeyARN: k.ARN, TrustedAccounts: c.pol.TrustedAccounts,
			Users: spec.Users, Administrators: spec.Administrators, AllowAdminDelete: spec.AllowAdminDelete,
			CloudFrontDistributions: spec.CloudFrontDistributions, Readers: spec.Readers, Region: spec.Region})
		var fixable []iampolicy.Finding
		for _, f := range findings {
			switch {
			case f.Blocker:
				u.block(BlockKeyPolicyConflict, "key policy of %s: %s", k.ARN, f.Message)
			case f.Code == iampolicy.CodeRootMissing || f.Code == iampolicy.CodeUnjudged:
				u.warnings = append(u.warnings, warning{WarnKeyPolicy, fmt.Sprintf("key policy of %s: %s", k.ARN, f.Message)})
			default:
				fixable = append(fixable, f)
			}
		}
		u.planned = doc
		stale := iampolicy.CloudFrontStale(doc, spec.CloudFrontDistributions) || iampolicy.ReadersStale(doc, spec)
		if gone := iampolicy.DeletedPrincipals(doc); (len(fixable) > 0 || stale) && len(gone) > 0 {
			// The bucket cannot be switched to a key whose policy cannot be fixed: every bucket
			// using it is blocked, with the statement named.
			u.block(BlockKeyPolicyConflict, "%s", deletedText("key policy of "+k.ARN, gone))
		}
		if (len(fixable) > 0 || stale) && len(u.blockers) == 0 {
			// The statement naming the apply role of a key sseguard created stays as it is.
			merged := iampolicy.Merge(doc, append(iampolicy.KeyStatements(spec), iampolicy.ApplyStatements(doc)...))
			text, err := merged.JSON()
			if err != nil {
				u.block(BlockKeyPolicyConflict, "render the key policy of %s: %v", k.ARN, err)
			} else {
				u.planned = merged
				c.readersKept(u, doc, merged)
				ch := &Change{
					ID: string(UpdateKeyPolicy) + "/" + u.ref.Region + "/" + k.ARN, Kind: UpdateKeyPolicy,
					Alias: aliasOf(u.ref.Ref), Region: u.ref.Region, Line: line, KeyARN: k.ARN,
					Before: keyPolicyBefore(fixable, stale), After: "sseguard's statements merged in; every other statement kept",
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

func (u *keyUse) block(code, format string, args ...any) {
	u.blockers = append(u.blockers, keyBlocker{code, fmt.Sprintf(format, args...)})
}

func aliasOf(ref string) string {
	if strings.HasPrefix(ref, "alias/") {
		return ref
	}
	return ""
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
	iampolicy.CodeUserMissingUse:    "may not use the key",
	iampolicy.CodeUserMissingGrant:  "may not create grants for AWS resources",
	iampolicy.CodeAdminMissing:      "may not administer the key",
	iampolicy.CodeAdminCanDelete:    "is not explicitly denied deleting the key",
	iampolicy.CodeCloudFrontMissing: "may not have CloudFront use the key (origin access control)",
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
