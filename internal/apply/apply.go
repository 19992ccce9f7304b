// Package apply carries out a plan's changes against AWS, in the plan's order, and reports each
// change's outcome with the AWS error next to the change that failed.
//
// Apply only ever creates keys and aliases and writes encryption settings and policies. It never
// schedules key deletion, disables a key, deletes an alias, a bucket policy statement it does not
// own, an object or a version.
package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/plan"
)

// S3API is the part of the S3 client apply uses.
type S3API interface {
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	// GetBucketPolicy reads the policy again right before it is written (see Change.ObservedDocument).
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	// DeleteBucketPolicy is used only to remove a policy that holds nothing but sseguard's own
	// statements (S3 refuses to store a policy with no statement).
	DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

// KMSAPI is the part of the KMS client apply uses.
type KMSAPI interface {
	CreateKey(ctx context.Context, in *kms.CreateKeyInput, optFns ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	CreateAlias(ctx context.Context, in *kms.CreateAliasInput, optFns ...func(*kms.Options)) (*kms.CreateAliasOutput, error)
	EnableKeyRotation(ctx context.Context, in *kms.EnableKeyRotationInput, optFns ...func(*kms.Options)) (*kms.EnableKeyRotationOutput, error)
	PutKeyPolicy(ctx context.Context, in *kms.PutKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error)
	// For finding a key an earlier run created but could not name (see adoptable).
	ListKeys(ctx context.Context, in *kms.ListKeysInput, optFns ...func(*kms.Options)) (*kms.ListKeysOutput, error)
	ListResourceTags(ctx context.Context, in *kms.ListResourceTagsInput, optFns ...func(*kms.Options)) (*kms.ListResourceTagsOutput, error)
	ListAliases(ctx context.Context, in *kms.ListAliasesInput, optFns ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	ListGrants(ctx context.Context, in *kms.ListGrantsInput, optFns ...func(*kms.Options)) (*kms.ListGrantsOutput, error)
}

// AliasTag is the tag sseguard puts on every key it creates, naming the alias the key is for.
// If creating the alias fails after the key was created, the next run finds the key by this tag
// and gives it the alias, instead of creating another key.
const AliasTag = "sseguard:alias"

// Clients gives apply its per-region clients.
type Clients interface {
	S3(region string) S3API
	KMS(region string) KMSAPI
}

// ObjectFixer re-encrypts a bucket's existing objects (package objects behind it). It returns
// the counts and an error when the run failed or stopped early.
type ObjectFixer interface {
	Fix(ctx context.Context, c plan.Change, rule plan.Rule) (*plan.ObjectCounts, error)
}

// Applier executes plans.
type Applier struct {
	Clients Clients
	// Owner is the account that must own every bucket written (ExpectedBucketOwner); empty
	// sends none.
	Owner string
	// Objects re-encrypts existing objects; nil refuses reencrypt-objects changes.
	Objects ObjectFixer
	// Batch hands re-encryptions whose engine is batch-operations to S3 Batch Operations; nil
	// refuses them.
	Batch BatchStarter
	// OnResult, when set, is called with each change and its result as soon as it is known (the
	// pipeline renders them as they happen through package report).
	OnResult func(plan.Change, plan.Result)
	// ApplyRole is the IAM principal this apply runs as, named in the policy of every key it
	// creates (iampolicy.ApplyStatement) so that naming, rotating and adopting the key need no IAM
	// grant; "" when the caller cannot be named in a key policy (the statement is then left out).
	// It must be in Owner's account.
	ApplyRole string
}

// Apply executes every change of p in order and returns one result per change, in order. A
// failed change skips the changes that depend on it; unrelated changes still run. Apply does
// not verify: read the state back and compare (package pipeline does).
func (a *Applier) Apply(ctx context.Context, p *plan.Plan) []plan.Result {
	created := map[string]string{} // create-key change ID → key ARN
	outcome := map[string]plan.Outcome{}
	results := make([]plan.Result, 0, len(p.Changes))
	for _, c := range p.Changes {
		r := plan.Result{ChangeID: c.ID}
		if dep := failedDependency(c, outcome); dep != "" {
			r.Outcome, r.Error = plan.Skipped, "not attempted: "+dep+" did not succeed"
		} else if err := ctx.Err(); err != nil {
			r.Outcome, r.Error = plan.Skipped, "not attempted: "+err.Error()
		} else {
			detail, err := a.one(ctx, c, created, &r)
			r.Detail = detail
			if errors.Is(err, errUnchanged) {
				r.Outcome = plan.Unchanged
			} else if err != nil {
				r.Outcome, r.Error = plan.Failed, err.Error()
			} else {
				r.Outcome = plan.Done
			}
		}
		outcome[c.ID] = r.Outcome
		if a.OnResult != nil {
			a.OnResult(c, r)
		}
		results = append(results, r)
	}
	return results
}

// errUnchanged marks a change that turned out to have nothing to do.
var errUnchanged = errors.New("nothing to do")

// resolveRule fills in the key ARN of a rule whose key is created by a change it depends on.
func resolveRule(c plan.Change, created map[string]string) (plan.Rule, error) {
	rule := *c.Rule
	if rule.Algorithm != plan.AlgKMS || rule.KeyARN != "" {
		return rule, nil
	}
	for _, d := range c.DependsOn {
		if arn, ok := created[d]; ok {
			rule.KeyARN = arn
		}
	}
	if rule.KeyARN == "" {
		return rule, fmt.Errorf("no key ARN for %s: the key it depends on was not created", rule.Alias)
	}
	return rule, nil
}

func failedDependency(c plan.Change, outcome map[string]plan.Outcome) string {
	deps := append([]string(nil), c.DependsOn...)
	sort.Strings(deps)
	for _, d := range deps {
		if o := outcome[d]; o != plan.Done && o != plan.Unchanged {
			return d
		}
	}
	return ""
}

func (a *Applier) one(ctx context.Context, c plan.Change, created map[string]string, res *plan.Result) (string, error) {
	switch c.Kind {
	case plan.CreateKey:
		arn, note, err := a.createKey(ctx, c)
		if arn != "" {
			created[c.ID] = arn
		}
		return arn + note, err
	case plan.SetDefaultEncryption, plan.EnableBucketKey:
		rule, err := resolveRule(c, created)
		if err != nil {
			return "", err
		}
		return "", a.putEncryption(ctx, c, rule)
	case plan.UpdateKeyPolicy:
		kc := a.Clients.KMS(c.Region)
		cur, err := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(c.KeyARN), PolicyName: aws.String("default")})
		if err != nil {
			return "", fmt.Errorf("read the key policy of %s again before writing it: %w", c.KeyARN, err)
		}
		if aws.ToString(cur.Policy) != c.ObservedDocument {
			return "", errChangedSincePlan("key policy of " + c.KeyARN)
		}
		_, err = kc.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{
			KeyId: aws.String(c.KeyARN), PolicyName: aws.String("default"), Policy: aws.String(c.Document),
			// The lockout safety check stays on: KMS refuses a policy that would lock the
			// account out of its own key.
			BypassPolicyLockoutSafetyCheck: false,
		})
		if err != nil {
			return "", fmt.Errorf("put key policy of %s: %w", c.KeyARN, err)
		}
		return "", nil
	case plan.EnableKeyRotation:
		key := c.KeyARN
		if key == "" {
			// A key created earlier in this apply.
			for _, d := range c.DependsOn {
				key = created[d]
			}
			if key == "" {
				return "", fmt.Errorf("no key ARN for %s: the key it depends on was not created", c.Alias)
			}
		}
		if _, err := a.Clients.KMS(c.Region).EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(key)}); err != nil {
			return "", fmt.Errorf("enable rotation of %s: %w", key, err)
		}
		return "", nil
	case plan.UpdateBucketPolicy:
		return a.bucketPolicy(ctx, c, created)
	case plan.ReencryptObjects:
		if c.Engine == plan.EngineBatch {
			return a.batch(ctx, c, created, res)
		}
		if a.Objects == nil {
			return "", fmt.Errorf("re-encrypting objects is not available in this run")
		}
		rule, err := resolveRule(c, created)
		if err != nil {
			return "", err
		}
		counts, err := a.Objects.Fix(ctx, c, rule)
		res.Objects = counts
		if counts != nil && err == nil && counts.Fixed == 0 && counts.Failed == 0 && counts.TotalToFix() == 0 {
			return fmt.Sprintf("%d scanned, all as required", counts.Scanned), errUnchanged
		}
		detail := ""
		if counts != nil {
			detail = fmt.Sprintf("%d scanned, %d fixed, %d failed", counts.Scanned, counts.Fixed, counts.Failed)
			if counts.Remaining > 0 {
				detail += fmt.Sprintf(", %d left for the next run (budget reached)", counts.Remaining)
			}
			if err == nil && counts.Failed > 0 {
				err = fmt.Errorf("%d objects could not be re-encrypted (listed in the JSON plan)", counts.Failed)
			}
		}
		return detail, err
	default:
		return "", fmt.Errorf("unknown change kind %q", c.Kind)
	}
}

// errChangedSincePlan is the error of a policy change whose policy someone else edited after the
// plan read it: writing the planned document would overwrite their edit.
func errChangedSincePlan(what string) error {
	return fmt.Errorf("the %s changed since the plan read it (someone else edited it): not written, so their change is not overwritten; run plan again", what)
}

// bucketPolicy writes (or, when it would hold no statement, deletes) a bucket policy, after
// reading it again: a policy edited since the plan is left alone.
func (a *Applier) bucketPolicy(ctx context.Context, c plan.Change, created map[string]string) (string, error) {
	s3c := a.Clients.S3(c.Region)
	cur, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(c.Bucket), ExpectedBucketOwner: a.owner()})
	current := ""
	switch {
	case err == nil:
		current = aws.ToString(cur.Policy)
	case !awserr.Is(err, awserr.CodeNoSuchBucketPolicy):
		return "", fmt.Errorf("read the bucket policy of %s again before writing it: %w", c.Bucket, err)
	}
	if current != c.ObservedDocument {
		return "", errChangedSincePlan("bucket policy of " + c.Bucket)
	}
	if c.DeleteDocument {
		if _, err := s3c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(c.Bucket), ExpectedBucketOwner: a.owner()}); err != nil {
			return "", fmt.Errorf("delete bucket policy of %s (it held only sseguard's statements): %w", c.Bucket, err)
		}
		return "deleted: it held only sseguard's statements", nil
	}
	doc := c.Document
	if strings.Contains(doc, plan.KeyARNPlaceholder) || strings.Contains(doc, plan.KeyIDPlaceholder) {
		rule, err := resolveRule(c, created)
		if err != nil {
			return "", err
		}
		id := rule.KeyARN[strings.LastIndex(rule.KeyARN, "/")+1:]
		doc = strings.NewReplacer(plan.KeyARNPlaceholder, rule.KeyARN, plan.KeyIDPlaceholder, id).Replace(doc)
	}
	if strings.Contains(doc, "${sseguard:") {
		return "", fmt.Errorf("the bucket policy of %s still holds a placeholder after substitution: not written", c.Bucket)
	}
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{
		Bucket: aws.String(c.Bucket), Policy: aws.String(doc), ExpectedBucketOwner: a.owner(),
	}); err != nil {
		return "", fmt.Errorf("put bucket policy of %s: %w", c.Bucket, err)
	}
	return "", nil
}

func (a *Applier) owner() *string {
	if a.Owner == "" {
		return nil
	}
	return aws.String(a.Owner)
}

// createKey creates the CMK with its whole policy at once (so there is no moment where it lacks
// the grants), then its alias; rotation is a change of its own. A failure after CreateKey leaves
// the key in place (sseguard never deletes keys) and says so with its ARN.
//
// It answers the key's ARN (also when a later step failed) and a note for the result's detail.
func (a *Applier) createKey(ctx context.Context, c plan.Change) (arn, note string, err error) {
	k := c.Key
	kc := a.Clients.KMS(c.Region)
	keyID, arn, passed, err := a.adoptable(ctx, kc, k.Alias)
	if err != nil {
		// Not knowing whether an earlier run left a key for this alias, creating one could
		// leave a second key (a dollar a month, forever, since sseguard never deletes keys).
		return "", "", fmt.Errorf("could not check whether an earlier run left a key for %s, so no key was created (re-run): %w", k.Alias, err)
	}
	if len(passed) > 0 {
		note = " (not adopted: " + strings.Join(passed, "; ") + ")"
	}
	policyText, err := a.newKeyPolicy(k.Policy)
	if err != nil {
		return "", note, fmt.Errorf("the planned key policy for %s: %w", k.Alias, err)
	}
	verb := "created"
	if keyID != "" {
		// An earlier run created it and failed to name it: give it the planned policy and use it.
		verb = "adopted"
		if policyText != "" {
			if _, err := kc.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default"), Policy: aws.String(policyText)}); err != nil {
				return arn, note, fmt.Errorf("adopt key %s (created earlier for %s): put its key policy: %w", arn, k.Alias, err)
			}
		}
	} else {
		in := &kms.CreateKeyInput{
			Description: aws.String(k.Description),
			KeySpec:     kmstypes.KeySpecSymmetricDefault,
			KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
			Tags:        append(tags(k.Tags), kmstypes.Tag{TagKey: aws.String(AliasTag), TagValue: aws.String(k.Alias)}),
		}
		if policyText != "" {
			in.Policy = aws.String(policyText)
		}
		out, err := kc.CreateKey(ctx, in)
		if err != nil {
			return "", note, fmt.Errorf("create key for %s in %s: %w", k.Alias, c.Region, err)
		}
		keyID, arn = aws.ToString(out.KeyMetadata.KeyId), aws.ToString(out.KeyMetadata.Arn)
	}
	if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(k.Alias), TargetKeyId: aws.String(keyID)}); err != nil {
		return arn, note, fmt.Errorf("%s key %s but could not point %s at it (the key is left in place, unused; the next run adopts it): %w", verb, arn, k.Alias, err)
	}
	if verb == "adopted" {
		note = " (adopted: created by an earlier run that could not name it)" + note
	}
	return arn, note, nil
}

// newKeyPolicy is the planned policy of a new key with the apply role named in it: the
// placeholder replaced by ApplyRole, or the statement left out when there is none to name.
func (a *Applier) newKeyPolicy(planned string) (string, error) {
	if !strings.Contains(planned, iampolicy.ApplyRolePlaceholder) {
		return planned, nil
	}
	doc, err := iampolicy.Parse(planned)
	if err != nil {
		return "", err
	}
	principal := a.ApplyRole
	if principal != "" && a.Owner != "" && iampolicy.AccountOf(principal) != a.Owner {
		return "", fmt.Errorf("the apply role %s is not in account %s, whose key this is", principal, a.Owner)
	}
	kept := doc.Statements[:0]
	for _, st := range doc.Statements {
		if st.Sid == iampolicy.SidApplyRole {
			if principal == "" {
				continue
			}
			st = iampolicy.ApplyStatement(principal)
		}
		kept = append(kept, st)
	}
	doc.Statements = kept
	text, err := doc.JSON()
	if err != nil {
		return "", err
	}
	if strings.Contains(text, "${sseguard:") {
		return "", errors.New("it still holds a placeholder after substitution")
	}
	return text, nil
}

// adoptable finds a key an earlier run created for alias but could not name: tagged AliasTag =
// alias and exactly what sseguard creates — customer managed, Enabled, single-Region, key material
// from KMS, no alias, a key policy of only the account root statement and sseguard's own
// statements, naming this apply role (when it can be named), and no grants. Anything else tagged
// that way is not adopted (anyone who may tag keys can tag a key of theirs, or it was changed
// since): passed says which keys and why, and a new key is created. A key whose tags or policy
// cannot be read (access denied: another principal's key) is not ours. Any other error is
// returned: without knowing, a second key could be created.
func (a *Applier) adoptable(ctx context.Context, kc KMSAPI, alias string) (keyID, arn string, passed []string, err error) {
	pages := kms.NewListKeysPaginator(kc, &kms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if awserr.IsAccessDenied(err) {
				// Without kms:ListKeys there is nothing to adopt.
				return "", "", nil, nil
			}
			return "", "", nil, fmt.Errorf("list keys: %w", err)
		}
		for _, k := range page.Keys {
			id := aws.ToString(k.KeyId)
			tagged, err := hasTag(ctx, kc, id, AliasTag, alias)
			switch {
			case err != nil && awserr.IsAccessDenied(err):
				continue
			case err != nil:
				return "", "", nil, fmt.Errorf("read the tags of key %s: %w", id, err)
			case !tagged:
				continue
			}
			why, err := notAdoptable(ctx, kc, id, a.ApplyRole)
			if err != nil {
				return "", "", nil, fmt.Errorf("check key %s: %w", id, err)
			}
			if why != "" {
				passed = append(passed, fmt.Sprintf("key %s is tagged %s=%s but %s", id, AliasTag, alias, why))
				continue
			}
			d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
			if err != nil {
				return "", "", nil, fmt.Errorf("describe key %s: %w", id, err)
			}
			return id, aws.ToString(d.KeyMetadata.Arn), passed, nil
		}
	}
	return "", "", passed, nil
}

// notAdoptable says why a tagged key is not one sseguard created (as applyRole, when set) and left
// unnamed, or "".
func notAdoptable(ctx context.Context, kc KMSAPI, id, applyRole string) (string, error) {
	d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return "", err
	}
	m := d.KeyMetadata
	switch {
	case m.KeyManager != kmstypes.KeyManagerTypeCustomer:
		return "it is not customer managed", nil
	case m.KeyState != kmstypes.KeyStateEnabled:
		return fmt.Sprintf("it is %s, not Enabled", m.KeyState), nil
	case aws.ToBool(m.MultiRegion):
		return "it is a multi-Region key (sseguard creates single-Region keys)", nil
	case m.Origin != kmstypes.OriginTypeAwsKms:
		return fmt.Sprintf("its key material comes from %s, not AWS_KMS", m.Origin), nil
	case m.KeySpec != kmstypes.KeySpecSymmetricDefault || (m.KeyUsage != "" && m.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt):
		return fmt.Sprintf("it is a %s %s key", m.KeySpec, m.KeyUsage), nil
	}
	aliases, err := kc.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(id)})
	if err != nil {
		return "", err
	}
	if len(aliases.Aliases) > 0 {
		return "it already has an alias (" + aws.ToString(aliases.Aliases[0].AliasName) + ")", nil
	}
	pol, err := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(id), PolicyName: aws.String("default")})
	if awserr.IsAccessDenied(err) {
		return "its key policy may not be read by this role (sseguard's keys let their apply role read it)", nil
	}
	if err != nil {
		return "", err
	}
	doc, err := iampolicy.Parse(aws.ToString(pol.Policy))
	if err != nil {
		return "its key policy cannot be read as a policy: " + err.Error(), nil
	}
	account := aws.ToString(m.AWSAccountId)
	for _, st := range doc.Statements {
		if !st.Owned() && !isRootStatement(st, account) {
			sid := st.Sid
			if sid == "" {
				sid = "(no Sid)"
			}
			return fmt.Sprintf("its key policy holds a statement sseguard does not write (%s)", sid), nil
		}
	}
	if applyRole != "" && !iampolicy.NamesApplyRole(doc, applyRole) {
		return fmt.Sprintf("its key policy does not name %s in sseguard's statement %s, as the keys sseguard creates as that role do", applyRole, iampolicy.SidApplyRole), nil
	}
	grants, err := kc.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(id)})
	if err != nil {
		return "", err
	}
	if len(grants.Grants) > 0 {
		return fmt.Sprintf("it has %d grant(s)", len(grants.Grants)), nil
	}
	return "", nil
}

// isRootStatement recognises the account root statement sseguard writes into a new key's policy
// (iampolicy.RootStatement): Allow kms:* on * to the account's root, nothing else.
func isRootStatement(st iampolicy.Statement, account string) bool {
	if st.Effect != iampolicy.EffectAllow || st.Principal == nil || len(st.Principal.AWS) != 1 || st.Condition != nil ||
		!slices.Equal(st.Action, []string{"kms:*"}) || !slices.Equal(st.Resource, []string{"*"}) {
		return false
	}
	p := st.Principal.AWS[0]
	return strings.HasPrefix(p, "arn:") && strings.HasSuffix(p, ":iam::"+account+":root") && strings.Count(p, ":") == 5
}

func hasTag(ctx context.Context, kc KMSAPI, keyID, key, value string) (bool, error) {
	pages := kms.NewListResourceTagsPaginator(kc, &kms.ListResourceTagsInput{KeyId: aws.String(keyID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, t := range page.Tags {
			if aws.ToString(t.TagKey) == key && aws.ToString(t.TagValue) == value {
				return true, nil
			}
		}
	}
	return false, nil
}

func (a *Applier) putEncryption(ctx context.Context, c plan.Change, rule plan.Rule) error {
	def := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(rule.Algorithm)}
	r := s3types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: def}
	if rule.Algorithm == plan.AlgKMS {
		// The key ARN, never an alias: an alias is resolved in the caller's account at write time
		// and can later be pointed elsewhere.
		def.KMSMasterKeyID = aws.String(rule.KeyARN)
		r.BucketKeyEnabled = aws.Bool(rule.BucketKey)
	}
	if rule.BlockedEncryptionTypes != nil {
		// Written back as observed (or as the policy decides): a rule written without it could
		// change what the bucket blocks.
		bt := &s3types.BlockedEncryptionTypes{EncryptionType: []s3types.EncryptionType{}}
		for _, t := range rule.BlockedEncryptionTypes {
			bt.EncryptionType = append(bt.EncryptionType, s3types.EncryptionType(t))
		}
		r.BlockedEncryptionTypes = bt
	}
	_, err := a.Clients.S3(c.Region).PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket:                            aws.String(c.Bucket),
		ExpectedBucketOwner:               a.owner(),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{r}},
	})
	if err != nil {
		return fmt.Errorf("set default encryption of %s: %w", c.Bucket, err)
	}
	return nil
}

func tags(m map[string]string) []kmstypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]kmstypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, kmstypes.Tag{TagKey: aws.String(k), TagValue: aws.String(m[k])})
	}
	return out
}
