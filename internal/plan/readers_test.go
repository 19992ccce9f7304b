package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

const (
	partnerAcct = "444455556666"
	partnerRole = "arn:aws:iam::444455556666:role/Player"
)

// sharedWith is a bucket policy letting principal read the bucket's objects.
func sharedWith(bucket, principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerRead","Effect":"Allow","Principal":{"AWS":"` + principal +
		`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

// readersView is a compact view of a bucket's readers.
func readersView(rs []Reader) []string {
	var out []string
	for _, r := range rs {
		v := r.Principal + " " + string(r.Verdict)
		if r.Listed {
			v += " listed"
		}
		out = append(out, v)
	}
	return out
}

func TestReadersBeforeASwitch(t *testing.T) {
	t.Parallel()
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	shared := func() *state.Bucket {
		b := existing("b", "us-east-1", &state.Rule{Algorithm: "AES256"})
		b.Policy = sharedWith("b", partnerRole)
		return b
	}
	bucket := func(mod func(*policy.Bucket)) policy.Bucket {
		b := kmsBucket("b", "alias/media")
		if mod != nil {
			mod(&b)
		}
		return b
	}
	for name, tc := range map[string]struct {
		b       policy.Bucket
		trusted []string
		key     *state.Key
		want    kinds
		readers []string
	}{
		"a new key locks the partner out": {b: bucket(nil), trusted: []string{partnerAcct}, key: &state.Key{Found: false},
			want: kinds{Blockers: []string{"reader-cannot-decrypt/b"}}, readers: []string{partnerRole + " cannot-decrypt"}},
		"readers: the new key's policy grants it": {b: bucket(func(b *policy.Bucket) { b.Readers = []string{partnerRole} }), trusted: []string{partnerAcct},
			key:     &state.Key{Found: false},
			want:    kinds{Changes: []string{"create-key/us-east-1/alias/media", "enable-key-rotation/us-east-1/alias/media", "set-default-encryption/b"}},
			readers: []string{partnerRole + " can-decrypt listed"}},
		"accept_lost_readers: the loss is intended": {b: bucket(func(b *policy.Bucket) { b.AcceptLostReaders = []string{partnerAcct} }),
			key:     &state.Key{Found: false},
			want:    kinds{Changes: []string{"create-key/us-east-1/alias/media", "enable-key-rotation/us-east-1/alias/media", "set-default-encryption/b"}},
			readers: []string{partnerRole + " cannot-decrypt"}},
		"an existing key: its policy change grants it": {b: bucket(func(b *policy.Bucket) { b.Readers = []string{partnerRole} }), trusted: []string{partnerAcct},
			key:     keyWith(rootOnly(), true),
			want:    kinds{Changes: []string{"update-key-policy/us-east-1/" + keyARN, "set-default-encryption/b"}},
			readers: []string{partnerRole + " can-decrypt listed"}},
		"an existing key whose policy already lets the account decrypt": {b: bucket(nil), trusted: []string{partnerAcct},
			key: keyWith(strings.Replace(rootOnly(), `"Statement": [`,
				`"Statement": [{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"},`, 1), true),
			want:    kinds{Changes: []string{"set-default-encryption/b"}},
			readers: []string{partnerRole + " can-decrypt"}},
		"a reader of an untrusted account is still judged": {b: bucket(nil), key: &state.Key{Found: false},
			want: kinds{Blockers: []string{"reader-cannot-decrypt/b"}}, readers: []string{partnerRole + " cannot-decrypt"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := newState(map[string]*state.Bucket{"b": shared()}, map[state.KeyRef]*state.Key{aliasRef: tc.key})
			p := Compute(&policy.Policy{TrustedAccounts: tc.trusted, Buckets: []policy.Bucket{tc.b}}, st)
			if got := view(p); !equalKinds(got, tc.want) {
				t.Fatalf("plan = %+v, want %+v\n%+v", got, tc.want, p.Blockers)
			}
			// In the JSON, the accepted loss is loss-accepted.
			if got := readersView(p.Buckets[0].Readers); len(tc.b.AcceptLostReaders) > 0 {
				if want := []string{partnerRole + " loss-accepted"}; !cmp.Equal(got, want) {
					t.Errorf("readers %v, want %v", got, want)
				}
			} else if !cmp.Equal(got, tc.readers) {
				t.Errorf("readers %v, want %v", got, tc.readers)
			}
			for _, bl := range p.Blockers {
				for _, want := range []string{partnerRole, `"PartnerRead"`, "readers", "accept_lost_readers"} {
					if !strings.Contains(bl.Message, want) {
						t.Errorf("blocker %q does not name %s", bl.Message, want)
					}
				}
				if len(tc.trusted) == 0 && !strings.Contains(bl.Message, "trusted_accounts") {
					t.Errorf("blocker %q does not say the account must be trusted first", bl.Message)
				}
			}
			// The key policy the plan writes lets the reader decrypt through S3, and only that.
			for _, c := range p.Changes {
				text := c.Document
				if c.Key != nil {
					text = c.Key.Policy
				}
				if text == "" || len(tc.b.Readers) == 0 {
					continue
				}
				doc, err := iampolicy.Parse(text)
				if err != nil {
					t.Fatal(err)
				}
				r := iampolicy.BucketReaders(mustDoc(t, sharedWith("b", partnerRole)), "arn:aws:s3:::b", acct)[0]
				if v := r.KeyUse(doc, keyARN, "arn:aws:s3:::b", true); !v.OK {
					t.Errorf("%s: the reader cannot decrypt under the written policy: %s", c.ID, v.Why)
				}
				var readers *Grant
				for i, g := range c.Grants {
					if g.Sid == iampolicy.SidKeyReaders {
						readers = &c.Grants[i]
					}
				}
				if readers == nil || !cmp.Equal(readers.Actions, []string{"kms:Decrypt"}) || !strings.Contains(strings.Join(readers.Conditions, " "), "s3.us-east-1.amazonaws.com") {
					t.Errorf("%s: readers grant %+v", c.ID, readers)
				}
			}
		})
	}
}

func mustDoc(t *testing.T, src string) *iampolicy.Document {
	t.Helper()
	d, err := iampolicy.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A bucket already on its key: dropping a reader from readers would take decrypt away; that
// blocks the key's policy change (shared by every bucket of the key), not only this bucket.
func TestReadersKeptWhenTheKeyPolicyChanges(t *testing.T) {
	t.Parallel()
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	granted, _ := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Account: acct, Readers: []string{partnerRole}, Region: "us-east-1"}).JSON()
	onKey := existing("b", "us-east-1", compliantRule())
	onKey.Policy = sharedWith("b", partnerRole)
	other := existing("c", "us-east-1", nil)
	buckets := func(b policy.Bucket) []policy.Bucket { return []policy.Bucket{b, kmsBucket("c", "alias/media")} }
	st := newState(map[string]*state.Bucket{"b": onKey, "c": other}, map[state.KeyRef]*state.Key{aliasRef: keyWith(granted, true)})

	p := Compute(&policy.Policy{TrustedAccounts: []string{partnerAcct}, Buckets: buckets(kmsBucket("b", "alias/media"))}, st)
	if got, want := view(p), (kinds{Blockers: []string{"reader-cannot-decrypt/b", "reader-cannot-decrypt/c"}}); !equalKinds(got, want) {
		t.Fatalf("dropping the reader: plan %+v, want %+v", got, want)
	}

	accept := kmsBucket("b", "alias/media")
	accept.AcceptLostReaders = []string{partnerRole}
	p = Compute(&policy.Policy{TrustedAccounts: []string{partnerAcct}, Buckets: buckets(accept)}, st)
	if got, want := view(p), (kinds{Changes: []string{"update-key-policy/us-east-1/" + keyARN, "set-default-encryption/c"}}); !equalKinds(got, want) {
		t.Fatalf("accepted: plan %+v, want %+v", got, want)
	}

	keep := kmsBucket("b", "alias/media")
	keep.Readers = []string{partnerRole}
	p = Compute(&policy.Policy{TrustedAccounts: []string{partnerAcct}, Buckets: buckets(keep)}, st)
	if got, want := view(p), (kinds{Changes: []string{"set-default-encryption/c"}}); !equalKinds(got, want) {
		t.Fatalf("kept: plan %+v, want %+v", got, want)
	}
	if got := readersView(p.Buckets[0].Readers); !cmp.Equal(got, []string{partnerRole + " can-decrypt listed"}) {
		t.Errorf("readers %v", got)
	}
}
