package awstest

// Rule 3 — KMS answers with KMS's own errors.
//
//   - Refused KMS calls answer AccessDeniedException in KMS's JSON error shape (errors.go).
//   - EnableKeyRotation: "You cannot enable automatic rotation of asymmetric KMS keys, HMAC KMS
//     keys, KMS keys with imported key material, or KMS keys in a custom key store. To enable or
//     disable automatic rotation of a set of related multi-Region keys, set the property on the
//     primary key." — refused with UnsupportedOperationException ("EnableKeyRotation",
//     https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html). moto has no
//     such keys: MarkKey makes a moto key one, and DescribeKey through the layer reports it (Origin,
//     CustomKeyStoreId, MultiRegion and MultiRegionConfiguration, "KeyMetadata",
//     https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html).
//   - Key policies: "The policy size limit is 32 KiB (32768 bytes)" and "If the key policy exceeds
//     the length constraint, KMS returns a LimitExceededException"; "The principals in the key
//     policy must exist and be visible to KMS" (MalformedPolicyDocumentException); the policy must
//     let the caller call PutKeyPolicy later unless BypassPolicyLockoutSafetyCheck is set
//     ("PutKeyPolicy", https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html;
//     "CreateKey", https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html). moto
//     stores any text, JSON or not.
//   - Deleted principals in a key policy show as unique ids in GetKeyPolicy (principals.go).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// maxKeyPolicy is KMS's key policy size limit.
const maxKeyPolicy = 32768

// KeyKind marks a moto key as a kind of KMS key moto cannot create.
type KeyKind int

// Key kinds for MarkKey.
const (
	// KeyStandard is an ordinary symmetric key with AWS_KMS key material (unmarks a key).
	KeyStandard KeyKind = iota
	// KeyImported has imported key material (Origin EXTERNAL).
	KeyImported
	// KeyCustomKeyStore lives in an AWS CloudHSM custom key store (Origin AWS_CLOUDHSM).
	KeyCustomKeyStore
	// KeyMultiRegionPrimary is the primary key of a multi-Region key set.
	KeyMultiRegionPrimary
	// KeyMultiRegionReplica is a replica of a multi-Region key.
	KeyMultiRegionReplica
)

// String names the kind.
func (k KeyKind) String() string {
	switch k {
	case KeyImported:
		return "imported key material"
	case KeyCustomKeyStore:
		return "custom key store"
	case KeyMultiRegionPrimary:
		return "multi-Region primary"
	case KeyMultiRegionReplica:
		return "multi-Region replica"
	}
	return "standard"
}

// replicaRegion is the other Region of a marked multi-Region key set.
const replicaRegion = "us-west-2"

// MarkKey makes the layer treat a moto key (by key id or key ARN) as a key of the given kind:
// DescribeKey reports it so and EnableKeyRotation refuses it as KMS does.
func (l *Layer) MarkKey(keyID string, k KeyKind) {
	id := keyIDOf(keyID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if k == KeyStandard {
		delete(l.st.keyKinds, id)
		return
	}
	l.st.keyKinds[id] = k
}

func keyIDOf(ref string) string {
	if i := strings.LastIndex(ref, ":key/"); i >= 0 {
		return ref[i+len(":key/"):]
	}
	return strings.TrimPrefix(ref, "key/")
}

// keyInfo is what the layer knows of a KMS key.
type keyInfo struct {
	arn, id, account, state, origin, spec, usage string
	multiRegion                                  bool
	aliases                                      []string
	tags                                         map[string]string
	policy                                       *iampolicy.Document
}

// keyInfo describes a key by id, ARN, alias name or alias ARN, with its aliases, tags and policy.
func (l *Layer) keyInfo(ctx context.Context, c *call, ref string) (keyInfo, bool) {
	// A key ARN names its account and region: the key is read there (with credentials moto maps
	// to that account), as KMS resolves a key ARN of another account (rule 14).
	account, region, akid := c.id.Account, c.region, c.akid
	if a, ok := parseARN(ref); ok && a.service == "kms" {
		if a.region != "" {
			region = a.region
		}
		if a.account != "" && a.account != account {
			account, akid = a.account, l.akidForAccount(ctx, c, a.account)
		}
	}
	info, found := l.keys.get(account+"|"+region+"|"+ref, ref, func() (keyInfo, bool) {
		// Shared by the requests that missed together: not cut short when the first one ends.
		rctx, cancel := ctxTimeout(context.WithoutCancel(ctx))
		defer cancel()
		return l.readKeyInfo(rctx, akid, region, ref)
	})
	if found {
		// The kind is this layer's (MarkKey), not moto's: applied to each answer, never cached.
		l.applyKind(&info)
	}
	return info, found
}

// readKeyInfo reads a key's facts from moto.
func (l *Layer) readKeyInfo(ctx context.Context, akid, region, ref string) (keyInfo, bool) {
	var out struct {
		KeyMetadata struct {
			Arn, KeyId, AWSAccountId, KeyState, Origin, KeySpec, KeyUsage string
			MultiRegion                                                   bool
		}
	}
	info := keyInfo{}
	err := l.motoKMS(ctx, akid, region, "DescribeKey", map[string]string{"KeyId": ref}, &out)
	found := err == nil
	if found {
		m := out.KeyMetadata
		info = keyInfo{arn: m.Arn, id: m.KeyId, account: m.AWSAccountId, state: m.KeyState, origin: m.Origin, spec: m.KeySpec, usage: m.KeyUsage, multiRegion: m.MultiRegion, tags: map[string]string{}}
		var aliases struct{ Aliases []struct{ AliasName string } }
		if l.motoKMS(ctx, akid, region, "ListAliases", map[string]string{"KeyId": info.id}, &aliases) == nil {
			for _, a := range aliases.Aliases {
				info.aliases = append(info.aliases, a.AliasName)
			}
		}
		var tags struct {
			Tags []struct{ TagKey, TagValue string }
		}
		if l.motoKMS(ctx, akid, region, "ListResourceTags", map[string]string{"KeyId": info.id}, &tags) == nil {
			for _, t := range tags.Tags {
				info.tags[t.TagKey] = t.TagValue
			}
		}
		var pol struct{ Policy string }
		if l.motoKMS(ctx, akid, region, "GetKeyPolicy", map[string]string{"KeyId": info.id, "PolicyName": "default"}, &pol) == nil {
			info.policy, _ = iampolicy.Parse(pol.Policy)
		}
	}
	return info, found
}

func (l *Layer) applyKind(info *keyInfo) {
	l.mu.Lock()
	k := l.st.keyKinds[info.id]
	l.mu.Unlock()
	switch k {
	case KeyImported:
		info.origin = "EXTERNAL"
	case KeyCustomKeyStore:
		info.origin = "AWS_CLOUDHSM"
	case KeyMultiRegionPrimary, KeyMultiRegionReplica:
		info.multiRegion = true
	}
}

// forgetKeys drops what the key cache holds of the keys and aliases a KMS write names (KeyId,
// TargetKeyId, AliasName, in any of their forms); a write that names none of them (other than
// CreateKey, whose key is new) empties it.
func (l *Layer) forgetKeys(c *call) {
	var refs []string
	for _, p := range []string{"KeyId", "TargetKeyId", "AliasName"} {
		if v := c.str(p); v != "" {
			refs = append(refs, v)
		}
	}
	if len(refs) == 0 && c.name != "CreateKey" {
		l.keys.clear()
		return
	}
	l.keys.forget(refs...)
}

// keyARN resolves a key reference to the key ARN (or, when the key is unknown, an ARN built from
// the reference in the caller's account and Region).
func (l *Layer) keyARN(ctx context.Context, c *call, ref string) string {
	if info, ok := l.keyInfo(ctx, c, ref); ok && info.arn != "" {
		return info.arn
	}
	if strings.HasPrefix(ref, "arn:") {
		return ref
	}
	if !strings.HasPrefix(ref, "alias/") {
		ref = "key/" + ref
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:%s", c.partition(), c.region, c.id.Account, ref)
}

// keyPolicy returns a key's policy (nil when unknown or unreadable).
func (l *Layer) keyPolicy(ctx context.Context, c *call, keyARN string) *iampolicy.Document {
	info, ok := l.keyInfo(ctx, c, keyARN)
	if !ok {
		return nil
	}
	return info.policy
}

// keyContext returns the KMS condition keys of a key-resource action ("AWS KMS condition keys",
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
func (l *Layer) keyContext(ctx context.Context, c *call, ref string) (string, map[string][]string) {
	m := map[string][]string{"kms:CallerAccount": {c.id.Account}}
	if strings.HasPrefix(ref, "alias/") || strings.Contains(ref, ":alias/") {
		name := ref
		if i := strings.Index(ref, ":alias/"); i >= 0 {
			name = ref[i+1:]
		}
		m["kms:RequestAlias"] = []string{name}
	}
	info, ok := l.keyInfo(ctx, c, ref)
	if !ok {
		return l.keyARN(ctx, c, ref), m
	}
	if len(info.aliases) > 0 {
		m["kms:ResourceAliases"] = info.aliases
	}
	for k, v := range info.tags {
		m["aws:ResourceTag/"+k] = []string{v}
	}
	for k, v := range map[string]string{"kms:KeyOrigin": info.origin, "kms:KeySpec": info.spec, "kms:KeyUsage": info.usage} {
		if v != "" {
			m[k] = []string{v}
		}
	}
	m["kms:MultiRegion"] = []string{fmt.Sprint(info.multiRegion)}
	return info.arn, m
}

// kmsRequirements maps a KMS call to its actions ("Actions, resources, and condition keys for AWS
// Key Management Service", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
func (l *Layer) kmsRequirements(ctx context.Context, c *call) []requirement {
	action := "kms:" + c.name
	onKey := func(a, ref string) requirement {
		arn, kctx := l.keyContext(ctx, c, ref)
		if _, ok := l.keyInfo(ctx, c, ref); !ok {
			// No such key (an alias that names none): KMS answers NotFoundException, there is
			// no key whose policy could authorise the call (key-resource actions are authorised
			// on the key, never on the alias: Service Authorization Reference for AWS KMS).
			return requirement{action: a, resource: arn, free: true}
		}
		return requirement{action: a, resource: arn, keyARN: arn, ctx: kctx}
	}
	aliasARN := func(name string) string {
		return fmt.Sprintf("arn:%s:kms:%s:%s:%s", c.partition(), c.region, c.id.Account, name)
	}
	switch c.name {
	case "CreateKey":
		return createKeyRequirements(c)
	case "CreateAlias", "UpdateAlias", "DeleteAlias":
		name := c.str("AliasName")
		reqs := []requirement{{action: action, resource: aliasARN(name)}}
		if c.name != "CreateAlias" {
			reqs = append(reqs, onKey(action, name)) // the key the alias points to now
		}
		if t := c.str("TargetKeyId"); t != "" {
			reqs = append(reqs, onKey(action, t))
		}
		return reqs
	case "ReEncrypt":
		src := c.str("SourceKeyId")
		if src == "" {
			src = keyInCiphertext(c.str("CiphertextBlob"))
		}
		var reqs []requirement
		if src != "" {
			reqs = append(reqs, onKey("kms:ReEncryptFrom", src))
		}
		return append(reqs, onKey("kms:ReEncryptTo", c.str("DestinationKeyId")))
	case "Decrypt":
		ref := c.str("KeyId")
		if ref == "" {
			ref = keyInCiphertext(c.str("CiphertextBlob"))
		}
		if ref == "" {
			return []requirement{{action: action, resource: "*"}}
		}
		return []requirement{onKey(action, ref)}
	case "TagResource", "UntagResource":
		r := onKey(action, c.str("KeyId"))
		if r.ctx == nil {
			r.ctx = map[string][]string{} // no such key: the request's tags are still its context
		}
		keys := requestTags(c, r.ctx)
		if tk, ok := c.params["TagKeys"].([]any); ok {
			for _, k := range tk {
				if s, ok := k.(string); ok {
					keys = append(keys, s)
				}
			}
		}
		if len(keys) > 0 {
			r.ctx["aws:TagKeys"] = keys
		}
		return []requirement{r}
	}
	if ref := c.str("KeyId"); ref != "" {
		r := onKey(action, ref)
		if c.name == "PutKeyPolicy" && r.ctx != nil {
			r.ctx["kms:BypassPolicyLockoutSafetyCheck"] = []string{fmt.Sprint(c.bypassLockout())}
		}
		return []requirement{r}
	}
	return []requirement{{action: action, resource: "*"}}
}

// createKeyRequirements authorises CreateKey on "*", with the request's tags and key parameters
// as condition keys, and kms:TagResource too when it tags the key.
func createKeyRequirements(c *call) []requirement {
	m := map[string][]string{}
	keys := requestTags(c, m)
	if len(keys) > 0 {
		m["aws:TagKeys"] = keys
	}
	// Request parameters as condition keys hold the parameter's default when the request
	// leaves it out ("AWS KMS condition keys", Conditions for an API operation request,
	// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
	spec, origin, usage := c.str("KeySpec"), c.str("Origin"), c.str("KeyUsage")
	if spec == "" {
		spec = "SYMMETRIC_DEFAULT"
	}
	if origin == "" {
		origin = "AWS_KMS"
	}
	if usage == "" {
		usage = "ENCRYPT_DECRYPT"
	}
	multi, _ := c.params["MultiRegion"].(bool)
	m["kms:KeySpec"], m["kms:KeyOrigin"], m["kms:KeyUsage"] = []string{spec}, []string{origin}, []string{usage}
	m["kms:MultiRegion"] = []string{fmt.Sprint(multi)}
	m["kms:BypassPolicyLockoutSafetyCheck"] = []string{fmt.Sprint(c.bypassLockout())}
	reqs := []requirement{{action: "kms:CreateKey", resource: "*", ctx: m}}
	if len(keys) > 0 {
		reqs = append(reqs, requirement{action: "kms:TagResource", resource: "*", ctx: m})
	}
	return reqs
}

// requestTags puts the request's Tags into ctx as aws:RequestTag/KEY and returns their keys.
func requestTags(c *call, ctx map[string][]string) []string {
	var keys []string
	if tags, ok := c.params["Tags"].([]any); ok {
		for _, t := range tags {
			if tm, ok := t.(map[string]any); ok {
				k, _ := tm["TagKey"].(string)
				v, _ := tm["TagValue"].(string)
				ctx["aws:RequestTag/"+k] = []string{v}
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// bypassLockout is the request's BypassPolicyLockoutSafetyCheck (default false).
func (c *call) bypassLockout() bool {
	b, _ := c.params["BypassPolicyLockoutSafetyCheck"].(bool)
	return b
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// keyInCiphertext returns the key id moto puts at the start of its ciphertext blobs ("" when the
// blob is not one).
func keyInCiphertext(blob string) string {
	b, err := base64.StdEncoding.DecodeString(blob)
	if err != nil || len(b) < 36 {
		return ""
	}
	if id := string(b[:36]); uuidPattern.MatchString(id) {
		return id
	}
	return ""
}

// kmsReadOnly are the KMS operations that change nothing the layer caches.
func kmsReadOnly(op string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateRandom", "GenerateMac", "Sign", "Verify"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

func (l *Layer) dispatchKMS(w http.ResponseWriter, c *call) {
	if !kmsReadOnly(c.name) {
		defer l.forgetKeys(c)
	}
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	switch c.name {
	case "CreateKey", "PutKeyPolicy":
		if p, ok := c.params["Policy"].(string); ok || c.name == "PutKeyPolicy" {
			if !l.keyPolicyValid(ctx, w, c, p) {
				return
			}
		}
		l.forward(w, c, nil)
	case "GetKeyPolicy":
		l.forward(w, c, func(resp *http.Response) error {
			return rewriteJSON(resp, func(m map[string]any) {
				if p, ok := m["Policy"].(string); ok {
					m["Policy"] = l.showDeletedPrincipals(ctx, c, p)
				}
			})
		})
	case "EnableKeyRotation":
		info, ok := l.keyInfo(ctx, c, c.str("KeyId"))
		if ok {
			l.mu.Lock()
			k := l.st.keyKinds[info.id]
			l.mu.Unlock()
			if k == KeyImported || k == KeyCustomKeyStore || k == KeyMultiRegionReplica {
				writeKMSError(w, "UnsupportedOperationException", fmt.Sprintf("%s origin or key store is not supported for this operation: automatic rotation cannot be enabled for a key with %s.", info.arn, k))
				return
			}
		}
		l.forward(w, c, nil)
	case "DescribeKey":
		l.forward(w, c, func(resp *http.Response) error {
			return rewriteJSON(resp, func(m map[string]any) {
				l.describeMarked(m)
				l.describeManager(ctx, c, m)
			})
		})
	default:
		l.forward(w, c, nil)
	}
}

// keyPolicyValid refuses (answering, and returning false) a key policy KMS would refuse.
func (l *Layer) keyPolicyValid(ctx context.Context, w http.ResponseWriter, c *call, p string) bool {
	if len(p) > maxKeyPolicy {
		writeKMSError(w, "LimitExceededException", fmt.Sprintf("Policy exceeds the maximum size of %d bytes (it has %d).", maxKeyPolicy, len(p)))
		return false
	}
	doc, err := iampolicy.Parse(p)
	if err != nil {
		writeKMSError(w, "MalformedPolicyDocumentException", "The policy is not a valid key policy: "+err.Error())
		return false
	}
	if len(doc.Statements) == 0 {
		writeKMSError(w, "MalformedPolicyDocumentException", "The policy has no statements.")
		return false
	}
	if bad := l.invalidPrincipals(ctx, c, doc); len(bad) > 0 {
		writeKMSError(w, "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
		return false
	}
	if bypass, _ := c.params["BypassPolicyLockoutSafetyCheck"].(bool); !bypass && c.principal != "" {
		keyRes := "*"
		if c.name == "PutKeyPolicy" {
			keyRes = l.keyARN(ctx, c, c.str("KeyId"))
		}
		req := iampolicy.Request{Principal: c.principal, Action: "kms:PutKeyPolicy", Resource: keyRes, Context: l.baseContext(c)}
		allowed := doc.Explain(req, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
		if !allowed {
			root := req
			root.Principal = fmt.Sprintf("arn:%s:iam::%s:root", c.partition(), c.id.Account)
			allowed = doc.Explain(root, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
		}
		if !allowed || doc.Explain(req, iampolicy.EvalOptions{AccountPrincipalMatchesMembers: true}).Decision == iampolicy.ExplicitDeny {
			writeKMSError(w, "MalformedPolicyDocumentException", "The new key policy will not allow you to update the key policy in the future.")
			return false
		}
	}
	return true
}

// describeManager makes a DescribeKey answer say KeyManager AWS for an AWS managed key: one named
// by an alias under alias/aws/, which KMS reserves for AWS managed keys ("Create aliases",
// https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html: "The alias/aws/ prefix is
// reserved for AWS managed key"; KeyMetadata, KeyManager: "KMS keys in your AWS account are either
// customer managed or AWS managed",
// https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html). moto creates aws/s3
// on first use but describes it as KeyManager CUSTOMER, so a tool trusting moto would try to
// rewrite a key policy AWS never lets anyone change.
func (l *Layer) describeManager(ctx context.Context, c *call, m map[string]any) {
	md, ok := m["KeyMetadata"].(map[string]any)
	if !ok {
		return
	}
	managed := strings.HasPrefix(c.str("KeyId"), awsManagedAliasPrefix)
	if id, _ := md["KeyId"].(string); !managed && id != "" {
		var out struct{ Aliases []struct{ AliasName string } }
		if err := l.motoKMS(ctx, c.akid, c.region, "ListAliases", map[string]string{"KeyId": id}, &out); err == nil {
			for _, a := range out.Aliases {
				managed = managed || strings.HasPrefix(a.AliasName, awsManagedAliasPrefix)
			}
		}
	}
	if managed {
		md["KeyManager"] = "AWS"
	}
}

// awsManagedAliasPrefix starts the aliases of AWS managed keys.
const awsManagedAliasPrefix = "alias/aws/"

// describeMarked makes a DescribeKey answer report a marked key's kind.
func (l *Layer) describeMarked(m map[string]any) {
	md, ok := m["KeyMetadata"].(map[string]any)
	if !ok {
		return
	}
	id, _ := md["KeyId"].(string)
	arn, _ := md["Arn"].(string)
	l.mu.Lock()
	k := l.st.keyKinds[id]
	l.mu.Unlock()
	switch k {
	case KeyImported:
		md["Origin"] = "EXTERNAL"
		md["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
	case KeyCustomKeyStore:
		md["Origin"] = "AWS_CLOUDHSM"
		md["CustomKeyStoreId"] = "cks-" + strings.ReplaceAll(id, "-", "")[:17]
		md["CloudHsmClusterId"] = "cluster-" + strings.ReplaceAll(id, "-", "")[:11]
	case KeyMultiRegionPrimary, KeyMultiRegionReplica:
		a, _ := parseARN(arn)
		other := fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", a.partition, replicaRegion, a.account, id)
		here := map[string]any{"Arn": arn, "Region": a.region}
		there := map[string]any{"Arn": other, "Region": replicaRegion}
		cfg := map[string]any{"MultiRegionKeyType": "PRIMARY", "PrimaryKey": here, "ReplicaKeys": []any{there}}
		if k == KeyMultiRegionReplica {
			cfg = map[string]any{"MultiRegionKeyType": "REPLICA", "PrimaryKey": there, "ReplicaKeys": []any{here}}
		}
		md["MultiRegion"] = true
		md["MultiRegionConfiguration"] = cfg
	}
}

// rewriteJSON lets f change a successful JSON answer.
func rewriteJSON(resp *http.Response, f func(map[string]any)) error {
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxInspectedBody))
	resp.Body.Close()
	if err != nil {
		return err
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		setBody(resp, resp.StatusCode, body)
		return nil
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		return errors.Join(errors.New("re-encode KMS answer"), err)
	}
	setBody(resp, resp.StatusCode, out)
	return nil
}
