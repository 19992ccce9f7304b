package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

const replicationRole = "arn:aws:iam::111122223333:role/Replication"

func replicated(name string, r *state.Rule, rules ...state.ReplicationRule) *state.Bucket {
	b := existing(name, "us-east-1", r)
	b.Replication = &state.Replication{Role: replicationRole, Rules: rules}
	return b
}

func TestReplicationBeforeASwitch(t *testing.T) {
	t.Parallel()
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	dstRef := state.KeyRef{Region: "us-east-1", Ref: "alias/replicas"}
	const dstKeyARN = "arn:aws:kms:us-east-1:111122223333:key/99999999-12ab-34cd-56ef-1234567890ab"
	dstKey := keyWith(rootOnly(), true)
	dstKey.ARN, dstKey.ID = dstKeyARN, "99999999-12ab-34cd-56ef-1234567890ab"
	optedIn := func(replicaKey string) state.ReplicationRule {
		return state.ReplicationRule{ID: "to-dr", Priority: 1, Status: "Enabled", SSEKMSObjects: "Enabled",
			DestinationBucket: "arn:aws:s3:::dr", ReplicaKMSKeyID: replicaKey}
	}
	plain := state.ReplicationRule{ID: "to-dr", Priority: 1, Status: "Enabled", DestinationBucket: "arn:aws:s3:::dr"}
	aes := &state.Rule{Algorithm: "AES256"}
	for name, tc := range map[string]struct {
		source  *state.Bucket
		dst     bool // the destination is in the policy file (sse-kms, alias/replicas)
		readers []string
		want    kinds
		warn    []string
		lacks   []string // substrings of the rule's lacks
	}{
		"a rule without the opt-in blocks the switch": {source: replicated("b", aes, plain),
			want: kinds{Blockers: []string{"replication-kms/b"}}, lacks: []string{"SseKmsEncryptedObjects", "ReplicaKmsKeyID"}},
		"an opted-in rule with a key for replicas lets it go": {source: replicated("b", aes, optedIn("arn:aws:kms:us-west-2:111122223333:key/abc")),
			want: kinds{Changes: []string{"set-default-encryption/b"}}},
		"a disabled rule is not judged": {source: replicated("b", aes, state.ReplicationRule{ID: "off", Status: "Disabled", DestinationBucket: "arn:aws:s3:::dr"}),
			want: kinds{Changes: []string{"set-default-encryption/b"}}},
		"the destination in the file says which key": {source: replicated("b", aes, optedIn("")), dst: true,
			want: kinds{Blockers: []string{"replication-kms/b"}, Changes: []string{"set-default-encryption/dr"}}, lacks: []string{"set it to " + dstKeyARN}},
		"the wrong key for replicas": {source: replicated("b", aes, optedIn("arn:aws:kms:us-east-1:111122223333:key/other")), dst: true,
			want: kinds{Blockers: []string{"replication-kms/b"}, Changes: []string{"set-default-encryption/dr"}}, lacks: []string{"wants dr's objects under " + dstKeyARN}},
		"the destination's key, by alias ARN": {source: replicated("b", aes, optedIn("arn:aws:kms:us-east-1:111122223333:alias/replicas")), dst: true,
			want: kinds{Changes: []string{"set-default-encryption/b", "set-default-encryption/dr"}}},
		"already on the key: a warning, no blocker": {source: replicated("b", compliantRule(), plain),
			warn: []string{WarnReplicationSkipsKMS}, lacks: []string{"SseKmsEncryptedObjects"}},
		"unreadable replication blocks the switch": {source: func() *state.Bucket {
			b := existing("b", "us-east-1", aes)
			b.ReplicationErr = "read replication configuration (s3:GetReplicationConfiguration): AccessDenied"
			return b
		}(), want: kinds{Blockers: []string{"replication-kms/b"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			buckets := []policy.Bucket{kmsBucket("b", "alias/media")}
			obs := map[string]*state.Bucket{"b": tc.source}
			if tc.dst {
				d := kmsBucket("dr", "alias/replicas")
				d.Pos.Line = 20
				buckets = append(buckets, d)
				obs["dr"] = existing("dr", "us-east-1", aes)
			}
			st := newState(obs, map[state.KeyRef]*state.Key{aliasRef: keyWith(rootOnly(), true), dstRef: dstKey})
			p := Compute(&policy.Policy{Buckets: buckets}, st)
			if got := view(p); !equalKinds(got, tc.want) {
				t.Fatalf("plan = %+v, want %+v\n%+v", got, tc.want, p.Blockers)
			}
			var warns []string
			for _, w := range p.Warnings {
				warns = append(warns, w.Code)
			}
			if !cmp.Equal(warns, tc.warn) {
				t.Errorf("warnings %v, want %v", warns, tc.warn)
			}
			var lacks string
			if r := p.Buckets[0].Replication; r != nil {
				for _, rule := range r.Rules {
					lacks += strings.Join(rule.Lacks, "\n")
				}
				if r.Role != replicationRole {
					t.Errorf("role %q", r.Role)
				}
			}
			for _, want := range tc.lacks {
				if !strings.Contains(lacks, want) {
					t.Errorf("lacks %q, want %q in it", lacks, want)
				}
			}
			if len(tc.lacks) == 0 && lacks != "" {
				t.Errorf("lacks %q, want none", lacks)
			}
			for _, b := range p.Blockers {
				if b.Code == BlockReplicationKMS && tc.source.Replication != nil && !strings.Contains(b.Message, `"to-dr" (priority 1)`) {
					t.Errorf("blocker does not name the rule: %s", b.Message)
				}
			}
		})
	}
}

// A replication role of another account may only decrypt what the key policy lets it: readers
// grants it.
func TestReplicationRoleOfAnotherAccount(t *testing.T) {
	t.Parallel()
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	const farRole = "arn:aws:iam::444455556666:role/Replication"
	src := replicated("b", &state.Rule{Algorithm: "AES256"}, state.ReplicationRule{ID: "to-dr", Status: "Enabled", SSEKMSObjects: "Enabled",
		DestinationBucket: "arn:aws:s3:::dr", ReplicaKMSKeyID: "arn:aws:kms:us-east-1:444455556666:key/abc"})
	src.Replication.Role = farRole
	st := newState(map[string]*state.Bucket{"b": src}, map[state.KeyRef]*state.Key{aliasRef: {Found: false}})

	p := Compute(&policy.Policy{TrustedAccounts: []string{partnerAcct}, Buckets: []policy.Bucket{kmsBucket("b", "alias/media")}}, st)
	if got := view(p); !equalKinds(got, kinds{Blockers: []string{"replication-kms/b"}}) || !strings.Contains(p.Blockers[0].Message, "list the role under readers") {
		t.Fatalf("plan %+v %v", got, p.Blockers)
	}
	b := kmsBucket("b", "alias/media")
	b.Readers = []string{farRole}
	p = Compute(&policy.Policy{TrustedAccounts: []string{partnerAcct}, Buckets: []policy.Bucket{b}}, st)
	if got := view(p); len(got.Blockers) != 0 {
		t.Fatalf("with the role under readers: %+v %v", got, p.Blockers)
	}
}
