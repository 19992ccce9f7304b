package iampolicy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Readers of a bucket: who its bucket policy lets read (or, for AWS services, write) its objects,
// and whether each can still do so once the objects are encrypted under a KMS key.
//
// Reading an SSE-KMS object needs kms:Decrypt on its key besides s3:GetObject; S3 asks KMS on the
// reader's behalf, so the request reaches KMS with kms:ViaService s3.REGION.amazonaws.com and the
// reader as caller ("Protecting data with server-side encryption using AWS KMS keys (SSE-KMS)",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html; "kms:ViaService",
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
// A service that writes objects (log delivery) needs kms:GenerateDataKey instead. A principal of
// another account needs the key policy to allow it (or its account) as well as its own IAM
// policy: "Neither the key policy nor the IAM policy alone is sufficient" ("Allowing users in
// other accounts to use a KMS key",
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
// sseguard sees the key policy, not other accounts' IAM policies, so it judges the key policy's
// part: whether the key policy lets the reader (or its account, which then delegates to its IAM
// policies) use the key. A CloudFront origin access identity cannot decrypt SSE-KMS objects at all
// ("Restrict access to an Amazon S3 origin",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
//
// Principals of the home account are not readers here: the key policy's account root statement
// delegates their access to the account's own IAM policies, which sseguard never changes.

// SidKeyReaders is the Sid of sseguard's key policy statement letting a bucket's readers decrypt.
const SidKeyReaders = SidPrefix + "KeyReaders"

// KeyViaService is the KMS condition key naming the AWS service a request came through.
const KeyViaService = "kms:ViaService"

// ReaderActions are the key actions sseguard's readers statement grants: decrypting objects
// through S3, nothing else.
var ReaderActions = []string{"kms:Decrypt"}

// S3ViaService is the kms:ViaService value of S3 requests in region, in the partition's DNS
// suffix ("Amazon S3 endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/s3.html:
// s3.REGION.amazonaws.com; amazonaws.com.cn in the China Regions).
func S3ViaService(partition, region string) string {
	suffix := "amazonaws.com"
	if partition == "aws-cn" {
		suffix = "amazonaws.com.cn"
	}
	return "s3." + region + "." + suffix
}

// ReadersStatement returns sseguard's statement letting the readers (sorted, each once) decrypt
// with the key through S3 in region. It returns false when there are none.
func ReadersStatement(partition, region string, readers []string) (Statement, bool) {
	rs := sortedUnique(readers)
	if len(rs) == 0 {
		return Statement{}, false
	}
	s := Statement{
		Sid: SidKeyReaders, Effect: EffectAllow, Principal: &Principal{AWS: rs},
		Action: append([]string(nil), ReaderActions...), Resource: []string{"*"},
	}
	if region != "" {
		s.Condition = map[string]map[string][]string{"StringEquals": {KeyViaService: {S3ViaService(partition, region)}}}
	}
	return s, true
}

// ReaderKind says what kind of principal a reader is.
type ReaderKind string

// The kinds of reader.
const (
	// ReaderAccount: an account (its id or root ARN): every principal its IAM policies allow.
	ReaderAccount ReaderKind = "account"
	// ReaderPrincipal: an IAM role, user or role session of another account.
	ReaderPrincipal ReaderKind = "principal"
	// ReaderPublic: "*" (or NotPrincipal): any principal of any account, anonymous included,
	// under the statement's conditions.
	ReaderPublic ReaderKind = "public"
	// ReaderService: an AWS service principal (log delivery, CloudFront origin access control).
	ReaderService ReaderKind = "service"
	// ReaderOAI: a CloudFront origin access identity, which cannot decrypt SSE-KMS objects.
	ReaderOAI ReaderKind = "origin-access-identity"
	// ReaderAccessPoint: an access point the bucket policy delegates access to; whoever reads
	// through it is judged as its account.
	ReaderAccessPoint ReaderKind = "access-point"
	// ReaderOther: a federated principal or a value sseguard cannot place in an account.
	ReaderOther ReaderKind = "other"
)

// Reader is one principal a bucket policy lets use the bucket's objects.
type Reader struct {
	// Principal names the reader as the bucket policy does (an account id as its root ARN).
	Principal string
	Kind      ReaderKind
	// Statements are the bucket policy statements that grant it, in document order.
	Statements []StatementRef
	// Write is true for a service granted s3:PutObject: it must encrypt, not decrypt.
	Write bool
	// Read is true when s3:GetObject is granted.
	Read bool
	// Conditions are the granting statement's conditions in words (the first statement's).
	Conditions string
	// evalPrincipal is the caller the key policy is asked about; context holds condition keys
	// the granting statement pins (aws:SourceArn, aws:SourceAccount for a service).
	evalPrincipal string
	context       map[string][]string
}

// KeyActions are the key actions the reader needs: kms:Decrypt to read, kms:GenerateDataKey to
// write.
func (r Reader) KeyActions() []string {
	var out []string
	if r.Read {
		out = append(out, "kms:Decrypt")
	}
	if r.Write {
		out = append(out, "kms:GenerateDataKey")
	}
	return out
}

// objectActions are the S3 actions that make a principal a reader (or, for services, a writer).
const (
	actionGetObject = "s3:GetObject"
	actionPutObject = "s3:PutObject"
)

// accessPointKeys are the condition keys a bucket policy delegates access to access points with
// ("Configuring IAM policies for using access points", Delegating access control to access
// points, https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html).
var accessPointKeys = map[string]bool{"s3:dataaccesspointarn": true, "s3:dataaccesspointaccount": true}

// BucketReaders lists the readers the Allow statements of a bucket policy (nil: none) grant on the
// bucket's objects, outside the home account, sorted by principal. bucketARN is the bucket's ARN
// (arn:PARTITION:s3:::NAME).
func BucketReaders(d *Document, bucketARN, home string) []Reader {
	if d == nil {
		return nil
	}
	partition := PartitionOf(bucketARN)
	probe := bucketARN + "/sseguard-reader-probe"
	byName := map[string]*Reader{}
	add := func(r Reader, ref StatementRef) {
		if r.evalPrincipal == "" {
			r.evalPrincipal = r.Principal
		}
		if have, ok := byName[r.Principal]; ok {
			have.Read = have.Read || r.Read
			have.Write = have.Write || r.Write
			if !slices.Contains(have.Statements, ref) {
				have.Statements = append(have.Statements, ref)
			}
			return
		}
		r.Statements = []StatementRef{ref}
		byName[r.Principal] = &r
	}
	for i, s := range d.Statements {
		if s.Effect != EffectAllow || !s.coversObjects(bucketARN, probe) {
			continue
		}
		read := s.coversAction(actionGetObject)
		write := s.coversAction(actionPutObject)
		if !read && !write {
			continue
		}
		ref := StatementRef{Index: i, Sid: s.Sid}
		for _, r := range s.readers(Reader{Read: read, Conditions: conditionText(s.Condition)}, write, partition, home) {
			add(r, ref)
		}
	}
	out := make([]Reader, 0, len(byName))
	for _, r := range byName {
		if !r.Read && !r.Write {
			continue
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out
}

// readers are who an Allow statement lets read (or, for a service, write) the bucket's objects,
// each starting from base: the accounts of the access points it names, everyone, or its
// principals. The home account's own principals are left out.
func (s Statement) readers(base Reader, write bool, partition, home string) []Reader {
	var out []Reader
	if aps := accessPoints(s.Condition); len(aps) > 0 {
		for _, ap := range aps {
			acct := ap
			if a, ok := parseARN(ap); ok {
				acct = a.account
			}
			if acct == home {
				continue
			}
			r := base
			r.Kind, r.Principal, r.evalPrincipal = ReaderAccessPoint, ap, RootARN(partition, acct)
			if isAccountID(ap) {
				r.Principal = RootARN(partition, ap)
			}
			out = append(out, r)
		}
		return out
	}
	if s.NotPrincipal != nil || (s.Principal != nil && s.Principal.everyone()) {
		if pinsAccounts(s.Condition, map[string]bool{home: true}) {
			return nil
		}
		r := base
		r.Kind, r.Principal, r.evalPrincipal = ReaderPublic, "*", ""
		return []Reader{r}
	}
	p := s.Principal
	if p == nil {
		return nil
	}
	for _, v := range p.AWS {
		r := base
		switch acct, ok := principalAccount(v); {
		case uniqueIDPattern.MatchString(v):
			continue
		case strings.Contains(v, oaiARNMarker):
			r.Kind, r.Principal = ReaderOAI, v
		case ok && acct == home:
			continue
		case isAccountID(v):
			r.Kind, r.Principal = ReaderAccount, RootARN(partition, v)
		case ok && strings.HasSuffix(v, ":root"):
			r.Kind, r.Principal = ReaderAccount, v
		case ok:
			r.Kind, r.Principal = ReaderPrincipal, v
		default:
			r.Kind, r.Principal = ReaderOther, v
		}
		out = append(out, r)
	}
	for _, v := range p.Service {
		r := base
		r.Kind, r.Principal, r.Write = ReaderService, v, write
		r.context = pinnedSource(s.Condition)
		out = append(out, r)
	}
	for _, v := range p.CanonicalUser {
		r := base
		r.Kind, r.Principal = ReaderOAI, v
		out = append(out, r)
	}
	for _, v := range p.Federated {
		r := base
		r.Kind, r.Principal = ReaderOther, v
		out = append(out, r)
	}
	return out
}

// coversObjects reports whether the statement's Resource (or NotResource) covers some object of
// the bucket: probe (an object no pattern names on purpose) or any object under a prefix.
func (s Statement) coversObjects(bucketARN, probe string) bool {
	if s.Resource == nil {
		return s.coversResource(probe)
	}
	for _, r := range s.Resource {
		if Glob(r, probe) || strings.HasPrefix(r, bucketARN+"/") {
			return true
		}
	}
	return false
}

// accessPoints returns the access point ARNs and account ids a statement's conditions delegate to
// (StringEquals, StringLike, ArnEquals or ArnLike on s3:DataAccessPointArn or
// s3:DataAccessPointAccount), each once.
func accessPoints(cond map[string]map[string][]string) []string {
	var out []string
	for op, keys := range cond {
		o, ok := parseOperator(op)
		if !ok || o.negated {
			continue
		}
		for k, vals := range keys {
			if !accessPointKeys[strings.ToLower(k)] {
				continue
			}
			for _, v := range vals {
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// pinnedSource returns the aws:SourceArn and aws:SourceAccount values a statement's conditions
// require exactly (StringEquals or ArnEquals, one value), as a request from the service would
// carry them.
func pinnedSource(cond map[string]map[string][]string) map[string][]string {
	out := map[string][]string{}
	for op, keys := range cond {
		if op != "StringEquals" && op != "ArnEquals" && op != "ArnLike" && op != "StringLike" {
			continue
		}
		for k, vals := range keys {
			lk := strings.ToLower(k)
			if (lk == "aws:sourcearn" || lk == "aws:sourceaccount") && len(vals) == 1 && !strings.ContainsAny(vals[0], "*?") {
				out[k] = vals
			}
		}
	}
	return out
}

// ReaderVerdict is whether a reader can use the key under a key policy, and why not.
type ReaderVerdict struct {
	OK bool
	// Missing are the key actions the key policy does not allow the reader; Denied names the
	// statements that explicitly deny it.
	Missing []string
	Denied  []StatementRef
	// Why says in words why the reader cannot use the key ("" when it can).
	Why string
}

// KeyUse says whether a key policy (nil: none) lets the reader use the key through S3 in region:
// kms:Decrypt for a reader, kms:GenerateDataKey for a service that writes. bucketKey says whether
// the bucket uses an S3 Bucket Key (the encryption context is then the bucket's ARN, not the
// object's). A principal of another account counts as allowed when the key policy names it or its
// account (whose IAM policies then decide).
func (r Reader) KeyUse(keyPolicy *Document, keyARN, bucketARN string, bucketKey bool) ReaderVerdict {
	if r.Kind == ReaderOAI {
		return ReaderVerdict{Missing: r.KeyActions(), Why: "an origin access identity cannot decrypt SSE-KMS objects (CloudFront's origin access control can)"}
	}
	region := ""
	if a, ok := parseARN(keyARN); ok {
		region = a.region
	}
	ctxArn := bucketARN + "/sseguard-reader-probe"
	if bucketKey {
		ctxArn = bucketARN
	}
	extra := map[string][]string{
		KeyViaService:                      {S3ViaService(PartitionOf(bucketARN), region)},
		"kms:EncryptionContext:aws:s3:arn": {ctxArn},
	}
	for k, v := range r.context {
		extra[k] = v
	}
	caller := r.evalPrincipal
	if r.Kind == ReaderPublic {
		caller = "" // anonymous: the least any "*" grant admits
	}
	return keyUse(keyPolicy, caller, r.KeyActions(), keyARN, extra)
}

// PrincipalKeyUse says whether a key policy (nil: none) lets principal do action with the key
// through the service viaService (kms:ViaService), counting an allowed account as delegating to
// the principal's IAM policies: the replication role S3 assumes, say.
func PrincipalKeyUse(keyPolicy *Document, principal, action, keyARN, viaService string) ReaderVerdict {
	return keyUse(keyPolicy, principal, []string{action}, keyARN, map[string][]string{KeyViaService: {viaService}})
}

// keyUse evaluates each action for caller against the key policy.
func keyUse(keyPolicy *Document, caller string, actions []string, keyARN string, extra map[string][]string) ReaderVerdict {
	var v ReaderVerdict
	for _, act := range actions {
		res := keyPolicy.Explain(Request{Principal: caller, Action: act, Resource: keyARN, Context: callerContext(caller, extra)},
			EvalOptions{AccountPrincipalMatchesMembers: true})
		switch res.Decision {
		case Allow:
			continue
		case ExplicitDeny:
			for _, ref := range append(append([]StatementRef(nil), res.Denied...), res.MaybeDenied...) {
				if !slices.Contains(v.Denied, ref) {
					v.Denied = append(v.Denied, ref)
				}
			}
		}
		v.Missing = append(v.Missing, act)
	}
	switch {
	case len(v.Denied) > 0:
		v.Why = fmt.Sprintf("the key policy denies it %s (%s)", strings.Join(v.Missing, ", "), refsString(v.Denied))
	case len(v.Missing) > 0:
		v.Why = fmt.Sprintf("the key policy does not allow it %s", strings.Join(v.Missing, ", "))
	default:
		v.OK = true
	}
	return v
}

// ReadersStale reports whether doc holds sseguard's readers statement and it is not the one the
// spec asks for: it must be rewritten or removed. Statements of others are never stale.
func ReadersStale(doc *Document, spec KeyPolicySpec) bool {
	want, ok := ReadersStatement(spec.Partition, spec.Region, spec.Readers)
	return ownedStale(doc, SidKeyReaders, want, ok)
}

// ownedStale reports whether doc holds sseguard's statement sid and it differs from want (or no
// such statement is wanted any more).
func ownedStale(doc *Document, sid string, want Statement, wanted bool) bool {
	if doc == nil {
		return false
	}
	for _, s := range doc.Statements {
		if s.Sid != sid {
			continue
		}
		if !wanted || canonical(s) != canonical(want) {
			return true
		}
	}
	return false
}
