package jsonplan

import "github.com/sseguard/sseguard/internal/plan"

// Reader is one reader of a bucket (plan.buckets[].readers[]).
type Reader struct {
	Principal string `json:"principal"`
	// Kind is account, principal, public, service, origin-access-identity, access-point or other.
	Kind string `json:"kind"`
	// Statements are the bucket policy statements that grant it (absent: listed in the policy
	// file only).
	Statements []string `json:"statements,omitempty"`
	// Needs are the key actions it needs.
	Needs []string `json:"needs"`
	// Verdict is can-decrypt, cannot-decrypt or loss-accepted.
	Verdict string `json:"verdict"`
	Listed  bool   `json:"listed,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Replication is a bucket's replication configuration as judged (plan.buckets[].replication).
type Replication struct {
	Role  string            `json:"role"`
	Rules []ReplicationRule `json:"rules"`
}

// ReplicationRule is one replication rule and what it lacks to replicate SSE-KMS objects.
type ReplicationRule struct {
	ID             string   `json:"id"`
	Priority       int32    `json:"priority,omitempty"`
	Status         string   `json:"status"`
	Filter         string   `json:"filter,omitempty"`
	Destination    string   `json:"destination"`
	SSEKMSObjects  bool     `json:"sse_kms_objects"`
	ReplicaKey     string   `json:"replica_kms_key_id,omitempty"`
	WantReplicaKey string   `json:"want_replica_kms_key,omitempty"`
	Lacks          []string `json:"lacks,omitempty"`
}

func jsonReaders(rs []plan.Reader) []Reader {
	var out []Reader
	for _, r := range rs {
		out = append(out, Reader{Principal: r.Principal, Kind: r.Kind, Statements: r.Statements, Needs: nonNil(r.Needs),
			Verdict: string(r.Verdict), Listed: r.Listed, Reason: r.Reason})
	}
	return out
}

func jsonReplication(r *plan.Replication) *Replication {
	if r == nil {
		return nil
	}
	out := &Replication{Role: r.Role, Rules: []ReplicationRule{}}
	for _, rule := range r.Rules {
		out.Rules = append(out.Rules, ReplicationRule{ID: rule.ID, Priority: rule.Priority, Status: rule.Status, Filter: rule.Filter,
			Destination: rule.Destination, SSEKMSObjects: rule.SSEKMSObjects, ReplicaKey: rule.ReplicaKey,
			WantReplicaKey: rule.WantReplicaKey, Lacks: rule.Lacks})
	}
	return out
}
