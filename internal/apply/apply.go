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
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/plan"
)

// S3API is the part of the S3 client apply uses.
type S3API interface {
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
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
	// Objects re-encrypts existing objects; nil refuses reencrypt-objects changes.
	Objects ObjectFixer
	// Log receives one line per change as it happens.
	Log io.Writer
}

// Apply executes every change of p in order and returns one result per change, in order. A
// failed change skips the changes that depend on it; unrelated changes still run. Apply does
// not verify: read the state back and compare (package pipeline does).
func (a *Applier) Apply(ctx context.Context, p *plan.Plan) []plan.Result {
	log := a.Log
	if log == nil {
		log = io.Discard
	}
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
			detail, err := a.one(ctx, c, created)
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
		line := fmt.Sprintf("%-10s %s", r.Outcome, c.ID)
		if r.Detail != "" {
			line += ": " + r.Detail
		}
		if r.Error != "" {
			line += ": " + r.Error
		}
		fmt.Fprintln(log, line)
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

func (a *Applier) one(ctx context.Context, c plan.Change, created map[string]string) (string, error) {
	switch c.Kind {
	case plan.CreateKey:
		arn, err := a.createKey(ctx, c)
		if arn != "" {
			created[c.ID] = arn
		}
		return arn, err
	case plan.SetDefaultEncryption, plan.EnableBucketKey:
		rule, err := resolveRule(c, created)
		if err != nil {
			return "", err
		}
		return "", a.putEncryption(ctx, c, rule)
	case plan.UpdateKeyPolicy:
		_, err := a.Clients.KMS(c.Region).PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{
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
		if _, err := a.Clients.KMS(c.Region).EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(c.KeyARN)}); err != nil {
			return "", fmt.Errorf("enable rotation of %s: %w", c.KeyARN, err)
		}
		return "", nil
	case plan.UpdateBucketPolicy:
		doc := c.Document
		if strings.Contains(doc, plan.KeyARNPlaceholder) {
			rule, err := resolveRule(c, created)
			if err != nil {
				return "", err
			}
			doc = strings.ReplaceAll(doc, plan.KeyARNPlaceholder, rule.KeyARN)
		}
		if _, err := a.Clients.S3(c.Region).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{
			Bucket: aws.String(c.Bucket), Policy: aws.String(doc),
		}); err != nil {
			return "", fmt.Errorf("put bucket policy of %s: %w", c.Bucket, err)
		}
		return "", nil
	case plan.ReencryptObjects:
		if a.Objects == nil {
			return "", fmt.Errorf("re-encrypting objects is not available in this run")
		}
		rule, err := resolveRule(c, created)
		if err != nil {
			return "", err
		}
		counts, err := a.Objects.Fix(ctx, c, rule)
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

// createKey creates the CMK with its whole policy at once (so there is no moment where it lacks
// the grants), then its alias, then turns on rotation. A failure after CreateKey leaves the key in
// place (sseguard never deletes keys) and says so with its ARN.
func (a *Applier) createKey(ctx context.Context, c plan.Change) (string, error) {
	k := c.Key
	kc := a.Clients.KMS(c.Region)
	// Without permission to list keys (kms:ListKeys, kms:ListResourceTags, kms:ListAliases) there
	// is nothing to adopt: create the key.
	keyID, arn, _ := a.adoptable(ctx, kc, k.Alias)
	verb := "created"
	if keyID != "" {
		// An earlier run created it and failed to name it: give it the planned policy and use it.
		verb = "adopted"
		if k.Policy != "" {
			if _, err := kc.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default"), Policy: aws.String(k.Policy)}); err != nil {
				return arn, fmt.Errorf("adopt key %s (created earlier for %s): put its key policy: %w", arn, k.Alias, err)
			}
		}
	} else {
		in := &kms.CreateKeyInput{
			Description: aws.String(k.Description),
			KeySpec:     kmstypes.KeySpecSymmetricDefault,
			KeyUsage:    kmstypes.KeyUsageTypeEncryptDecrypt,
			Tags:        append(tags(k.Tags), kmstypes.Tag{TagKey: aws.String(AliasTag), TagValue: aws.String(k.Alias)}),
		}
		if k.Policy != "" {
			in.Policy = aws.String(k.Policy)
		}
		out, err := kc.CreateKey(ctx, in)
		if err != nil {
			return "", fmt.Errorf("create key for %s in %s: %w", k.Alias, c.Region, err)
		}
		keyID, arn = aws.ToString(out.KeyMetadata.KeyId), aws.ToString(out.KeyMetadata.Arn)
	}
	if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(k.Alias), TargetKeyId: aws.String(keyID)}); err != nil {
		return arn, fmt.Errorf("%s key %s but could not point %s at it (the key is left in place, unused; the next run adopts it): %w", verb, arn, k.Alias, err)
	}
	if k.Rotation {
		if _, err := kc.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(keyID)}); err != nil {
			return arn, fmt.Errorf("%s key %s as %s but could not enable rotation: %w", verb, arn, k.Alias, err)
		}
	}
	if verb == "adopted" {
		return arn + " (adopted: created by an earlier run that could not name it)", nil
	}
	return arn, nil
}

// adoptable finds a key an earlier run created for alias but could not name: tagged AliasTag =
// alias, customer managed, Enabled, and with no alias at all. It answers "" when there is none.
func (a *Applier) adoptable(ctx context.Context, kc KMSAPI, alias string) (keyID, arn string, err error) {
	pages := kms.NewListKeysPaginator(kc, &kms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", "", err
		}
		for _, k := range page.Keys {
			id := aws.ToString(k.KeyId)
			tagged, err := hasTag(ctx, kc, id, AliasTag, alias)
			if err != nil || !tagged {
				// A key whose tags cannot be read (another principal's key policy) is not ours.
				continue
			}
			d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
			if err != nil || d.KeyMetadata.KeyState != kmstypes.KeyStateEnabled || d.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeCustomer {
				continue
			}
			aliases, err := kc.ListAliases(ctx, &kms.ListAliasesInput{KeyId: aws.String(id)})
			if err != nil || len(aliases.Aliases) > 0 {
				continue
			}
			return id, aws.ToString(d.KeyMetadata.Arn), nil
		}
	}
	return "", "", nil
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
	_, err := a.Clients.S3(c.Region).PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket:                            aws.String(c.Bucket),
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
