package initpolicy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Algorithms as S3 names them in a default encryption rule ("ServerSideEncryptionByDefault",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html).
const (
	algAES256 = "AES256"
	algKMS    = "aws:kms"
	algDSSE   = "aws:kms:dsse"
)

var (
	// usableAliasRE is an alias sseguard's policy accepts (letters, digits, /, _ and -), which
	// therefore needs no quoting in YAML. Aliases under alias/aws/ are refused separately.
	usableAliasRE = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]+$`)
	// roleARNRE is an IAM role ARN ("IAM identifiers", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html:
	// names of letters, digits and +=,.@_-, paths of / and the same).
	roleARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	// plainBucketRE is a bucket name made of what general purpose bucket names may hold ("General
	// purpose bucket naming rules", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html);
	// the policy's validation judges the rest. Only such names are shown in a suggested entry.
	plainBucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// maxDescription is KMS's limit on a key description, which the policy's validation applies too
// ("CreateKey", Description: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html).
const maxDescription = 8192

// awsManagedAliasPrefix starts the aliases AWS reserves for AWS managed keys ("Create aliases",
// https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html: "The alias/aws/ prefix is
// reserved for AWS managed key"). A key that answers to one is AWS managed whatever DescribeKey
// says (moto describes aws/s3 as KeyManager CUSTOMER).
const awsManagedAliasPrefix = "alias/aws/"

// entry is one bucket as it will be written: an entry of buckets (adopted), or commented out with
// the reasons.
type entry struct {
	src *Bucket
	// b is the entry as written; for a bucket not adopted, the entry suggested (when show).
	b policy.Bucket
	// alias is the keys entry the bucket's kms_key names, when it names one by alias.
	alias   string
	adopted bool
	show    bool
	// why says why the bucket is not adopted; notes are comments on the entry either way;
	// principalNotes go before transcoder_principal (or where it would be).
	why, notes, principalNotes []string
}

func (e *entry) exclude(format string, args ...any) {
	e.adopted = false
	e.why = append(e.why, fmt.Sprintf(format, args...))
}

// keyEntry is one entry of keys: the customer managed keys adopted buckets name by this alias.
type keyEntry struct {
	alias string
	keys  []*Key
	notes []string
}

// rotation is what the entry says of rotation: on only when every key under the alias rotates,
// since sseguard turns rotation on where the policy asks and never turns it off. A key whose
// rotation could not be read counts as asked for: the plan then refuses the bucket and says why.
func (k *keyEntry) rotation() bool {
	for _, key := range k.keys {
		if key.NotRotatable() != "" || (key.Rotation != nil && !*key.Rotation) {
			return false
		}
	}
	return true
}

// description is the keys' description, when they share one the policy accepts.
func (k *keyEntry) description() string {
	d := k.keys[0].Description
	for _, key := range k.keys[1:] {
		if key.Description != d {
			return ""
		}
	}
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > maxDescription {
		return ""
	}
	return d
}

// decide makes the first decision for every bucket, from what was read alone.
func (bd *builder) decide() {
	for i := range bd.s.Buckets {
		src := &bd.s.Buckets[i]
		e := &entry{src: src, adopted: true, show: true,
			b: policy.Bucket{Name: src.Name, Region: src.Region, Encryption: policy.SSES3, ExistingObjects: policy.ObjectsIgnore}}
		bd.entries = append(bd.entries, e)
		e.show = plainBucketRE.MatchString(src.Name)
		if src.Err != "" {
			e.show = false
			e.exclude("sseguard init could not read it: %s. Give init read access to it (s3:GetBucketLocation, s3:GetEncryptionConfiguration, s3:GetBucketPolicy) and run it again, or write its entry by hand.", src.Err)
			continue
		}
		r := src.Encryption
		switch {
		case r == nil:
			// Never configured reads as SSE-S3: S3 applies SSE-S3 to every bucket since 2023
			// ("Using server-side encryption with Amazon S3 managed keys (SSE-S3)",
			// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html).
			// A server that answers "no configuration" instead gets the rule written by apply.
			e.notes = append(e.notes, "S3 answered that the bucket has no default encryption configured. AWS applies SSE-S3 to every bucket since January 2023 and reports it; a server that does not gets the SSE-S3 rule written by sseguard apply.")
		case r.Algorithm == algAES256:
		case r.Algorithm == algKMS:
			bd.kms(e)
		case r.Algorithm == algDSSE:
			e.exclude("its default encryption is DSSE-KMS (aws:kms:dsse: two layers of encryption with KMS). sseguard's policy says sse-s3 or sse-kms only: either would change the bucket's default encryption, and new objects would lose the second layer. Leave the bucket out of the policy, or decide to move it to sse-kms (the entry below, with a customer managed key).")
			e.b.Encryption = policy.SSEKMS
			e.b.BucketKey = r.BucketKey
			if k := src.Key; k != nil && k.Found {
				e.b.KMSKey = k.ARN
			} else {
				e.b.KMSKey = "alias/NAME"
			}
		default:
			e.show = false
			e.exclude("its default encryption is %q, an algorithm sseguard does not know.", r.Algorithm)
		}
		if e.b.Encryption == policy.SSEKMS {
			bd.oai(e)
		}
		if e.adopted {
			bd.bucketPolicy(e)
		}
	}
}

// kms decides an SSE-KMS bucket: which key, named how, and the transcoder.
func (bd *builder) kms(e *entry) {
	src, r := e.src, e.src.Encryption
	e.b.Encryption, e.b.BucketKey = policy.SSEKMS, r.BucketKey
	k := src.Key
	managedWhy := "An AWS managed key's policy cannot be changed, so no transcoder can be granted use of it, and sseguard manages customer managed keys only. Written commented out: as sse-s3 (below) or as sse-kms with a customer managed key (kms_key: alias/NAME, which sseguard creates), applying it changes the bucket's default encryption."
	switch {
	case r.KeyRef == "":
		// "ServerSideEncryptionByDefault" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html):
		// "If you don't specify a customer managed key at configuration, Amazon S3 automatically
		// creates an AWS KMS key in your AWS account ... By default, Amazon S3 uses this KMS key for
		// SSE-KMS": the AWS managed key aws/s3.
		e.exclude("its default encryption is SSE-KMS naming no key, which S3 serves with the AWS managed key aws/s3. %s", managedWhy)
		e.suggestSSES3()
		return
	case k == nil || k.Err != "":
		msg := "it was not described"
		if k != nil {
			msg = k.Err
		}
		e.show = false
		e.exclude("the key its default encryption names (%s) could not be read: %s.", r.KeyRef, msg)
		return
	case !k.Found:
		e.show = false
		e.exclude("the key its default encryption names (%s) does not exist in %s: uploads that rely on the default fail until the rule names a key that exists. Decide which key the bucket must use and write its entry by hand.", r.KeyRef, src.Region)
		return
	case k.Manager == "AWS" || hasAWSAlias(k):
		e.exclude("its default encryption uses the AWS managed key %s (%s). %s", awsName(k), k.ARN, managedWhy)
		e.suggestSSES3()
		return
	case k.Account != bd.s.Account:
		e.b.KMSKey = k.ARN
		e.exclude("its default encryption uses key %s of account %s, not this account (%s). sseguard only manages keys in the bucket owner's account: the plan would refuse the bucket (a blocker). Move the bucket to a key of this account, then write its entry.", k.ARN, k.Account, bd.s.Account)
		return
	}
	e.b.KMSKey, e.alias = k.ARN, bd.aliasFor(k, r.KeyRef)
	if e.alias != "" {
		e.b.KMSKey = e.alias
	}
	if k.AliasesErr != "" {
		e.notes = append(e.notes, fmt.Sprintf("The key's aliases could not be listed (%s): it is named by its key ARN.", k.AliasesErr))
	} else if e.alias == "" {
		e.notes = append(e.notes, "Its customer managed key has no alias: the entry names it by its key ARN.")
	}
	if e.alias == "" && k.Rotation != nil && !*k.Rotation && k.NotRotatable() == "" {
		e.exclude("its key %s has no alias and automatic rotation is off. rotation: false can only be written for a key named by alias (keys entries are by alias), so sseguard would turn rotation on. Give the key an alias and run init again, or let sseguard turn rotation on.", k.ARN)
	}
	bd.transcoder(e, k)
	bd.cloudFront(e, k)
}

// cloudFront keeps sseguard's own CloudFront statement in the key policy: the distributions its
// AWS:SourceArn condition names become the bucket's cloudfront_distributions, so the plan asks for
// the statement as it is instead of removing it. The statement is one per key; when buckets share
// the key each gets the whole list (the plan combines them into the same statement).
func (bd *builder) cloudFront(e *entry, k *Key) {
	if k.Policy == "" {
		return
	}
	doc, err := iampolicy.Parse(k.Policy)
	if err != nil {
		return
	}
	for _, s := range doc.Statements {
		if s.Sid != iampolicy.SidCloudFront {
			continue
		}
		dists := slices.Clone(s.Condition["StringEquals"][iampolicy.KeySourceArn])
		if len(dists) == 0 {
			continue
		}
		sort.Strings(dists)
		e.b.CloudFrontDistributions = slices.Compact(dists)
		e.notes = append(e.notes, "The key policy holds sseguard's CloudFront statement: cloudfront_distributions keeps it. It is one statement per key, shared by the buckets that use the key.")
		return
	}
}

// suggestSSES3 makes the suggested entry SSE-S3, the mode that needs no decision about keys.
func (e *entry) suggestSSES3() {
	e.b.Encryption, e.b.KMSKey, e.b.BucketKey = policy.SSES3, "", false
}

func hasAWSAlias(k *Key) bool {
	for _, a := range k.Aliases {
		if strings.HasPrefix(a, awsManagedAliasPrefix) {
			return true
		}
	}
	return false
}

// awsName names an AWS managed key by its alias (aws/s3), or "key" when it has none listed.
func awsName(k *Key) string {
	for _, a := range k.Aliases {
		if strings.HasPrefix(a, awsManagedAliasPrefix) {
			return strings.TrimPrefix(a, "alias/")
		}
	}
	return "key"
}

// aliasFor picks the alias an entry names its key by: the one the rule names when it names one,
// else the first in order; "" when the key has none the policy accepts. The key's keys entry is
// created or joined.
func (bd *builder) aliasFor(k *Key, ruleRef string) string {
	var usable []string
	for _, a := range k.Aliases {
		if usableAliasRE.MatchString(a) && !strings.HasPrefix(a, awsManagedAliasPrefix) {
			usable = append(usable, a)
		}
	}
	if len(usable) == 0 {
		return ""
	}
	sort.Strings(usable)
	pick := usable[0]
	if a, err := arn.Parse(ruleRef); err == nil && strings.HasPrefix(a.Resource, "alias/") {
		ruleRef = a.Resource
	}
	if slices.Contains(usable, ruleRef) {
		pick = ruleRef
	}
	ke := bd.keys[pick]
	if ke == nil {
		ke = &keyEntry{alias: pick}
		bd.keys[pick] = ke
	}
	if !slices.ContainsFunc(ke.keys, func(x *Key) bool { return x.ARN == k.ARN }) {
		ke.keys = append(ke.keys, k)
		if others := slices.DeleteFunc(slices.Clone(usable), func(a string) bool { return a == pick }); len(others) > 0 {
			ke.notes = append(ke.notes, fmt.Sprintf("Key %s also answers to %s.", k.ARN, strings.Join(others, ", ")))
		}
	}
	return pick
}

// transcoder names the transcoder from the key policy: the roles of this account it already lets
// use the key (kms:Decrypt and kms:GenerateDataKey). One that also may create grants for AWS
// resources is named when it is the only one; the others are listed in a comment.
func (bd *builder) transcoder(e *entry, k *Key) {
	if k.Policy == "" {
		return
	}
	doc, err := iampolicy.Parse(k.Policy)
	if err != nil {
		return // the plan refuses a key whose policy it cannot judge, and says why
	}
	var full, useOnly, outside []string
	for _, role := range namedRoles(doc) {
		if iampolicy.AccountOf(role) != bd.s.Account {
			outside = append(outside, role)
			continue
		}
		missing := map[string]bool{}
		for _, f := range iampolicy.CheckKeyPolicy(doc, iampolicy.KeyRequirements{Partition: bd.s.Partition, Account: bd.s.Account,
			KeyARN: k.ARN, Users: []string{role}}) {
			if f.Principal == role {
				missing[f.Code] = true
				if f.Code == iampolicy.CodeUserMissingUse && (slices.Contains(f.Actions, "kms:Decrypt") || slices.Contains(f.Actions, "kms:GenerateDataKey")) {
					missing["no-decrypt"] = true
				}
			}
		}
		switch {
		case missing["no-decrypt"] || missing[iampolicy.CodeUserDenied]:
		case len(missing) == 0:
			full = append(full, role)
		default:
			useOnly = append(useOnly, role)
		}
	}
	switch {
	case len(full) == 1:
		e.b.TranscoderPrincipal = full[0]
		e.principalNotes = append(e.principalNotes, fmt.Sprintf("The key policy already lets %s use the key and create grants for AWS services.", full[0]))
	case len(full) > 1:
		e.principalNotes = append(e.principalNotes, "The key policy lets several roles use the key and create grants for AWS services. If one of them is the transcoder, name it (transcoder_principal: ARN):")
		for _, r := range full {
			e.principalNotes = append(e.principalNotes, "  "+r)
		}
	}
	for _, r := range useOnly {
		e.principalNotes = append(e.principalNotes, fmt.Sprintf("The key policy lets %s use the key, but not all of what a transcoder needs (the key's use and grants for AWS services); naming it transcoder_principal makes sseguard add its statements to the key policy (a change).", r))
	}
	for _, r := range outside {
		e.principalNotes = append(e.principalNotes, fmt.Sprintf("The key policy names %s, a role of another account; sseguard grants a principal of another account only when the policy lists it under trusted_accounts.", r))
	}
}

// namedRoles lists, sorted and once each, the IAM role ARNs that Allow statements name.
func namedRoles(doc *iampolicy.Document) []string {
	seen := map[string]bool{}
	for _, g := range doc.Grants() {
		if g.Effect != iampolicy.EffectAllow {
			continue
		}
		for _, p := range g.Principals {
			if p.Type == "AWS" && roleARNRE.MatchString(p.Value) {
				seen[p.Value] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// oai warns when an SSE-KMS bucket's policy grants a CloudFront origin access identity: an OAI
// cannot decrypt SSE-KMS objects (iampolicy.OriginAccessIdentities; the plan warns the same way).
func (bd *builder) oai(e *entry) {
	if e.src.Policy == "" {
		return
	}
	doc, err := iampolicy.Parse(e.src.Policy)
	if err != nil {
		return
	}
	for _, o := range iampolicy.OriginAccessIdentities(doc) {
		e.notes = append(e.notes, fmt.Sprintf("The bucket policy grants CloudFront %s. An origin access identity cannot decrypt SSE-KMS objects: downloads through it fail. Switch the distribution to origin access control (OAC) and let it use the key.", o))
	}
}

// bucketPolicy sets enforce_on_upload and require_tls where the bucket policy already enforces
// them, judged as the plan judges them.
func (bd *builder) bucketPolicy(e *entry) {
	if e.src.Policy == "" {
		return
	}
	doc, err := iampolicy.Parse(e.src.Policy)
	if err != nil {
		return // the plan refuses a bucket whose policy it cannot judge, and says why
	}
	spec := bd.bucketSpec(e)
	up := spec
	up.EnforceOnUpload = true
	if !hasAny(iampolicy.CheckBucketPolicy(doc, up), iampolicy.CodeWrongEncryption, iampolicy.CodeWrongKey, iampolicy.CodeKMSWithoutKey) {
		var blocked []string
		if r := e.src.Encryption; r != nil {
			blocked = r.BlockedEncryptionTypes
		}
		if slices.Contains(blocked, "SSE-C") {
			e.b.EnforceOnUpload = true
		} else {
			e.notes = append(e.notes, "The bucket policy already refuses uploads asking for another encryption, but the bucket does not block SSE-C uploads: enforce_on_upload: true would also block them in the default encryption rule (a change).")
		}
	}
	tls := spec
	tls.RequireTLS = true
	if !hasAny(iampolicy.CheckBucketPolicy(doc, tls), iampolicy.CodeInsecureTransport) {
		e.b.RequireTLS = true
	}
}

// bucketSpec is the bucket policy spec the plan judges the entry's bucket policy by.
func (bd *builder) bucketSpec(e *entry) iampolicy.BucketSpec {
	spec := iampolicy.BucketSpec{Partition: bd.s.Partition, Bucket: e.b.Name, Algorithm: iampolicy.AlgorithmAES256}
	if e.b.Encryption == policy.SSEKMS && e.src.Key != nil {
		spec.Algorithm, spec.KeyARN = iampolicy.AlgorithmKMS, e.src.Key.ARN
		var aliases []string
		if e.alias != "" {
			aliases = append(aliases, e.alias)
		}
		spec.KeyNames = iampolicy.KeyNamesOf(spec.KeyARN, aliases...)
	}
	return spec
}

func hasAny(fs []iampolicy.Finding, codes ...string) bool {
	for _, f := range fs {
		if slices.Contains(codes, f.Code) {
			return true
		}
	}
	return false
}

// state is the snapshot as the plan reads it.
func (bd *builder) state(pol *policy.Policy) *state.State {
	st := &state.State{Account: bd.s.Account, Partition: bd.s.Partition, Buckets: map[string]*state.Bucket{}, Keys: map[state.KeyRef]*state.Key{}}
	for _, e := range bd.entries {
		src := e.src
		ob := &state.Bucket{Name: src.Name, Exists: true, Region: src.Region, Policy: src.Policy, Err: src.Err}
		if r := src.Encryption; r != nil {
			rule := *r
			if k := src.Key; k != nil && rule.KeyRef != "" {
				st.Keys[state.KeyRef{Region: src.Region, Ref: rule.KeyRef}] = &k.Key
				if k.Found {
					rule.KeyARN = k.ARN
				}
			}
			ob.Encryption = &rule
		}
		st.Buckets[src.Name] = ob
	}
	for _, b := range pol.Buckets {
		e := bd.byName[b.Name]
		if b.Encryption == policy.SSEKMS && e.src.Key != nil {
			st.Keys[state.DesiredKeyRef(pol, b, e.src.Region)] = &e.src.Key.Key
		}
	}
	return st
}
