package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

const (
	acct   = "111122223333"
	keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyID  = "1234abcd-12ab-34cd-56ef-1234567890ab"
)

func kmsBucket(name, key string) policy.Bucket {
	return policy.Bucket{Name: name, Encryption: policy.SSEKMS, KMSKey: key, BucketKey: true,
		ExistingObjects: policy.ObjectsIgnore, Pos: policy.Pos{Line: 10, Column: 5}}
}

func enabledKey() *state.Key {
	return &state.Key{Found: true, ARN: keyARN, ID: keyID, Account: acct, Region: "us-east-1",
		State: "Enabled", Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT"}
}

func newState(buckets map[string]*state.Bucket, keys map[state.KeyRef]*state.Key) *state.State {
	return &state.State{Account: acct, Buckets: buckets, Keys: keys}
}

func existing(name, region string, r *state.Rule) *state.Bucket {
	return &state.Bucket{Name: name, Exists: true, Region: region, Encryption: r}
}

// kinds is a compact view of a plan for table tests: change IDs and blocker codes.
type kinds struct {
	Changes  []string
	Blockers []string
}

func view(p *Plan) kinds {
	var k kinds
	for _, c := range p.Changes {
		k.Changes = append(k.Changes, c.ID)
	}
	for _, b := range p.Blockers {
		k.Blockers = append(k.Blockers, b.Code+"/"+b.Bucket)
	}
	return k
}

func TestCompute(t *testing.T) {
	t.Parallel()
	alias := "alias/media"
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: alias}
	kmsRule := func(ref string, bk bool) *state.Rule {
		return &state.Rule{Algorithm: "aws:kms", KeyRef: ref, KeyARN: keyARN, BucketKey: bk}
	}
	tests := map[string]struct {
		pol  *policy.Policy
		st   *state.State
		want kinds
	}{
		"aes256 to a key that does not exist yet: create key, then set encryption": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", &state.Rule{Algorithm: "AES256"})},
				map[state.KeyRef]*state.Key{aliasRef: {Found: false}}),
			want: kinds{Changes: []string{"create-key/us-east-1/alias/media", "enable-key-rotation/us-east-1/alias/media", "set-default-encryption/b"}},
		},
		"two buckets share one new key: created once": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("a", alias), kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"a": existing("a", "us-east-1", nil), "b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: {Found: false}}),
			want: kinds{Changes: []string{"create-key/us-east-1/alias/media", "enable-key-rotation/us-east-1/alias/media", "set-default-encryption/a", "set-default-encryption/b"}},
		},
		"key named by alias, stored by key ARN: compliant": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", kmsRule(keyARN, true))},
				map[state.KeyRef]*state.Key{aliasRef: enabledKey()}),
			want: kinds{},
		},
		// The right key, but stored as an id or alias: S3 resolves those in the uploader's
		// account, so the rule is rewritten with the key ARN.
		"key named by alias, stored by id: rewritten as the key ARN": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", kmsRule(keyID, true))},
				map[state.KeyRef]*state.Key{aliasRef: enabledKey()}),
			want: kinds{Changes: []string{"set-default-encryption/b"}},
		},
		"key named by ARN, stored by alias ARN: rewritten as the key ARN": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", keyARN)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", kmsRule("arn:aws:kms:us-east-1:111122223333:alias/media", true))},
				map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: keyARN}: enabledKey()}),
			want: kinds{Changes: []string{"set-default-encryption/b"}},
		},
		"enforce_on_upload blocks SSE-C in the rule": {
			pol: &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSES3, EnforceOnUpload: true}}},
			st:  newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", &state.Rule{Algorithm: "AES256"})}, nil),
			// (and the bucket policy statements)
			want: kinds{Changes: []string{"set-default-encryption/b", "update-bucket-policy/b"}},
		},
		"SSE-C already blocked: in sync": {
			pol: &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSES3}}},
			st:  newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", &state.Rule{Algorithm: "AES256", BlockedEncryptionTypes: []string{"SSE-C"}})}, nil),
		},
		"transcoder in another account, no account: set": {
			pol: &policy.Policy{Buckets: []policy.Bucket{func() policy.Bucket {
				b := kmsBucket("b", alias)
				b.TranscoderPrincipal = "arn:aws:iam::999988887777:role/Transcoder"
				return b
			}()}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: {Found: false}}),
			want: kinds{Blockers: []string{"principal-other-account/b"}},
		},
		"transcoder in a trusted account": {
			pol: &policy.Policy{TrustedAccounts: []string{"999988887777"}, Buckets: []policy.Bucket{func() policy.Bucket {
				b := kmsBucket("b", alias)
				b.TranscoderPrincipal = "arn:aws:iam::999988887777:role/Transcoder"
				return b
			}()}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: {Found: false}}),
			want: kinds{Changes: []string{"create-key/us-east-1/alias/media", "enable-key-rotation/us-east-1/alias/media", "set-default-encryption/b"}},
		},
		"key policy not readable": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key {
					k := enabledKey()
					k.PolicyDenied = "kms:GetKeyPolicy on " + keyARN + " was refused: AccessDeniedException"
					return k
				}()}),
			want: kinds{Blockers: []string{"key-unreadable/b"}},
		},
		"rotation status not readable, rotation asked": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key {
					k := enabledKey()
					k.RotationDenied = "kms:GetKeyRotationStatus refused"
					return k
				}()}),
			want: kinds{Blockers: []string{"key-unreadable/b"}},
		},
		"imported key material: no rotation change (a warning instead)": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", kmsRule(keyARN, true))},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key {
					k := enabledKey()
					k.Origin, k.Rotation = "EXTERNAL", new(false)
					return k
				}()}),
			want: kinds{},
		},
		"bucket key off: enable it only": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", kmsRule(keyARN, false))},
				map[state.KeyRef]*state.Key{aliasRef: enabledKey()}),
			want: kinds{Changes: []string{"enable-bucket-key/b"}},
		},
		"another key: set encryption": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1",
				&state.Rule{Algorithm: "aws:kms", KeyRef: "other", KeyARN: "arn:aws:kms:us-east-1:111122223333:key/other", BucketKey: true})},
				map[state.KeyRef]*state.Key{aliasRef: enabledKey()}),
			want: kinds{Changes: []string{"set-default-encryption/b"}},
		},
		"sse-s3 in sync": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSES3}}},
			st:   newState(map[string]*state.Bucket{"b": existing("b", "eu-west-1", &state.Rule{Algorithm: "AES256"})}, nil),
			want: kinds{},
		},
		"sse-s3 over the aws managed key": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSES3}}},
			st:   newState(map[string]*state.Bucket{"b": existing("b", "eu-west-1", &state.Rule{Algorithm: "aws:kms"})}, nil),
			want: kinds{Changes: []string{"set-default-encryption/b"}},
		},
		"missing bucket blocks only that bucket": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{{Name: "gone", Encryption: policy.SSES3}, {Name: "b", Encryption: policy.SSES3}}},
			st:   newState(map[string]*state.Bucket{"gone": {Name: "gone"}, "b": existing("b", "us-east-1", nil)}, nil),
			want: kinds{Changes: []string{"set-default-encryption/b"}, Blockers: []string{"bucket-missing/gone"}},
		},
		"asserted region differs": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Region: "us-west-2", Encryption: policy.SSES3}}},
			st:   newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)}, nil),
			want: kinds{Blockers: []string{"region-mismatch/b"}},
		},
		"key ARN in another region": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", keyARN)}},
			st:   newState(map[string]*state.Bucket{"b": existing("b", "eu-west-1", nil)}, nil),
			want: kinds{Blockers: []string{"key-region-mismatch/b"}},
		},
		"alias pinned to another region": {
			pol: &policy.Policy{Keys: []policy.Key{{Alias: alias, Region: "us-east-1"}},
				Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st:   newState(map[string]*state.Bucket{"b": existing("b", "eu-west-1", nil)}, nil),
			want: kinds{Blockers: []string{"key-region-mismatch/b"}},
		},
		"key in another account": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", "arn:aws:kms:us-east-1:999988887777:key/x")}},
			st:   newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)}, nil),
			want: kinds{Blockers: []string{"key-other-account/b"}},
		},
		"aws managed key": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key { k := enabledKey(); k.Manager = "AWS"; return k }()}),
			want: kinds{Blockers: []string{"key-aws-managed/b"}},
		},
		"key pending deletion": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key { k := enabledKey(); k.State = "PendingDeletion"; return k }()}),
			want: kinds{Blockers: []string{"key-pending-deletion/b"}},
		},
		"key disabled": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key { k := enabledKey(); k.State = "Disabled"; return k }()}),
			want: kinds{Blockers: []string{"key-disabled/b"}},
		},
		"asymmetric key": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: func() *state.Key { k := enabledKey(); k.Spec = "RSA_2048"; return k }()}),
			want: kinds{Blockers: []string{"key-not-usable/b"}},
		},
		"key ARN that does not exist is not created": {
			pol: &policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", keyARN)}},
			st: newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: keyARN}: {Found: false}}),
			want: kinds{Blockers: []string{"key-not-found/b"}},
		},
		"transcoder role does not exist": {
			pol: &policy.Policy{Buckets: []policy.Bucket{func() policy.Bucket {
				b := kmsBucket("b", alias)
				b.TranscoderPrincipal = "arn:aws:iam::111122223333:role/Gone"
				return b
			}()}},
			st: func() *state.State {
				s := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)},
					map[state.KeyRef]*state.Key{aliasRef: {Found: false}})
				s.Principals = map[string]bool{"arn:aws:iam::111122223333:role/Gone": false}
				return s
			}(),
			want: kinds{Blockers: []string{"principal-missing/b"}},
		},
		"observe error": {
			pol:  &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSES3}}},
			st:   newState(map[string]*state.Bucket{"b": {Name: "b", Err: "AccessDenied"}}, nil),
			want: kinds{Blockers: []string{"observe-failed/b"}},
		},
		"blocked bucket's new key is still created for the other bucket": {
			pol: &policy.Policy{Buckets: []policy.Bucket{
				func() policy.Bucket { b := kmsBucket("a", alias); b.Region = "us-west-2"; return b }(),
				kmsBucket("b", alias)}},
			st: newState(map[string]*state.Bucket{"a": existing("a", "us-east-1", nil), "b": existing("b", "us-east-1", nil)},
				map[state.KeyRef]*state.Key{aliasRef: {Found: false}}),
			want: kinds{Changes: []string{"create-key/us-east-1/alias/media", "enable-key-rotation/us-east-1/alias/media", "set-default-encryption/b"}, Blockers: []string{"region-mismatch/a"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := view(Compute(tc.pol, tc.st))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputeAccountMismatchChangesNothing(t *testing.T) {
	t.Parallel()
	pol := &policy.Policy{Account: "999988887777", Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSES3}}}
	p := Compute(pol, &state.State{Account: acct})
	if len(p.Changes) != 0 || len(p.Blockers) != 1 || p.Blockers[0].Code != BlockAccountMismatch {
		t.Fatalf("want one account-mismatch blocker and no changes, got %+v", p)
	}
	if p.Buckets[0].Status != Blocked {
		t.Errorf("bucket status = %s, want blocked", p.Buckets[0].Status)
	}
}

func TestComputeRuleUsesKeyARNAndDependsOnNewKey(t *testing.T) {
	t.Parallel()
	pol := &policy.Policy{Keys: []policy.Key{{Alias: "alias/new", Description: "d", Rotation: true, Pos: policy.Pos{Line: 3}}},
		Buckets: []policy.Bucket{kmsBucket("b", "alias/new"), kmsBucket("c", "alias/old")}}
	st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil), "c": existing("c", "us-east-1", nil)},
		map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: "alias/new"}: {Found: false}, {Region: "us-east-1", Ref: "alias/old"}: enabledKey()})
	p := Compute(pol, st)
	create, ok := p.Change("create-key/us-east-1/alias/new")
	if !ok || create.Key.Description != "d" || create.Line != 3 {
		t.Fatalf("create-key change = %+v", create)
	}
	// Rotation is a change of its own, after the key: its failure is reported on its own.
	rot, ok := p.Change("enable-key-rotation/us-east-1/alias/new")
	if !ok || !slices.Equal(rot.DependsOn, []string{create.ID}) || rot.KeyARN != "" || rot.Alias != "alias/new" {
		t.Fatalf("enable-key-rotation change = %+v", rot)
	}
	b, _ := p.Change("set-default-encryption/b")
	if diff := cmp.Diff([]string{create.ID, rot.ID}, b.DependsOn); diff != "" || b.Rule.KeyARN != "" || b.Rule.Alias != "alias/new" {
		t.Errorf("rule for new key = %+v depends %v", b.Rule, b.DependsOn)
	}
	c, _ := p.Change("set-default-encryption/c")
	if c.Rule.KeyARN != keyARN || !c.Rule.BucketKey || len(c.DependsOn) != 0 {
		t.Errorf("rule for existing key = %+v", c.Rule)
	}
}

func TestComputeIsDeterministic(t *testing.T) {
	t.Parallel()
	var buckets []policy.Bucket
	obs := map[string]*state.Bucket{}
	for _, n := range []string{"z", "y", "x", "w", "v"} {
		buckets = append(buckets, policy.Bucket{Name: n, Encryption: policy.SSES3, Pos: policy.Pos{Line: len(buckets) + 1}})
		obs[n] = existing(n, "us-east-1", nil)
	}
	pol := &policy.Policy{Buckets: buckets}
	first := Compute(pol, newState(obs, nil))
	for range 20 {
		if diff := cmp.Diff(first, Compute(pol, newState(obs, nil))); diff != "" {
			t.Fatalf("plans differ:\n%s", diff)
		}
	}
}

func TestComputeSaysWhy(t *testing.T) {
	t.Parallel()
	alias := "alias/media"
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: alias}

	// A rule stored by alias is rewritten as the key ARN, and the plan says why.
	st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", &state.Rule{Algorithm: "aws:kms", KeyRef: alias, KeyARN: keyARN, BucketKey: true})},
		map[state.KeyRef]*state.Key{aliasRef: enabledKey()})
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}}, st)
	c, ok := p.Change("set-default-encryption/b")
	if !ok || c.Rule.KeyARN != keyARN || len(c.Details) != 1 || !strings.Contains(c.Details[0], "names the key as alias/media") {
		t.Errorf("alias rewrite: %+v", c)
	}

	// A key KMS cannot rotate gets a warning, not a change that would fail.
	k := keyWith(rootOnly(), false)
	k.Origin = "EXTERNAL"
	st = newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", &state.Rule{Algorithm: "aws:kms", KeyRef: keyARN, KeyARN: keyARN, BucketKey: true})},
		map[state.KeyRef]*state.Key{aliasRef: k})
	p = Compute(&policy.Policy{Buckets: []policy.Bucket{kmsBucket("b", alias)}}, st)
	if len(p.Changes) != 0 || len(p.Warnings) != 1 || p.Warnings[0].Code != WarnRotationUnsupported || !strings.Contains(p.Warnings[0].Message, "imported") {
		t.Errorf("imported key: changes %+v warnings %+v", p.Changes, p.Warnings)
	}

	// SSE-C blocked in the rule when uploads are enforced; what was observed is written back.
	st = newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", &state.Rule{Algorithm: "aws:kms", KeyRef: "other", KeyARN: "arn:aws:kms:us-east-1:111122223333:key/other", BlockedEncryptionTypes: []string{"NONE"}})},
		map[state.KeyRef]*state.Key{aliasRef: enabledKey()})
	b := kmsBucket("b", alias)
	p = Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, st)
	if c, _ := p.Change("set-default-encryption/b"); !slices.Equal(c.Rule.BlockedEncryptionTypes, []string{"NONE"}) {
		t.Errorf("observed BlockedEncryptionTypes not written back: %+v", c.Rule)
	}
	b.EnforceOnUpload = true
	p = Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, st)
	if c, _ := p.Change("set-default-encryption/b"); !slices.Equal(c.Rule.BlockedEncryptionTypes, []string{"SSE-C"}) || !strings.Contains(c.After, "SSE-C uploads blocked") {
		t.Errorf("enforce_on_upload: rule %+v after %q", c.Rule, c.After)
	}
}

// Re-encryption waits for the bucket policy (sseguard's own upload statements judge its copies)
// and for the key's policy, so a bucket is never switched to a key its transcoder cannot use.
func TestComputeOrderAndDependencies(t *testing.T) {
	t.Parallel()
	alias := "alias/media"
	b := kmsBucket("b", alias)
	b.EnforceOnUpload, b.ExistingObjects, b.TranscoderPrincipal = true, policy.ObjectsReencrypt, role
	ob := existing("b", "us-east-1", &state.Rule{Algorithm: "AES256"})
	ob.ObjectsDeferred = true
	st := newState(map[string]*state.Bucket{"b": ob},
		map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: alias}: keyWith(rootOnly(), true)})
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, st)
	want := []string{"update-key-policy/us-east-1/" + keyARN, "set-default-encryption/b", "update-bucket-policy/b", "reencrypt-objects/b"}
	if got := view(p).Changes; !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	enc, _ := p.Change("set-default-encryption/b")
	re, _ := p.Change("reencrypt-objects/b")
	if !slices.Contains(enc.DependsOn, want[0]) || !slices.Contains(re.DependsOn, want[0]) || !slices.Contains(re.DependsOn, "update-bucket-policy/b") {
		t.Errorf("depends: encryption %v, reencrypt %v", enc.DependsOn, re.DependsOn)
	}
}
