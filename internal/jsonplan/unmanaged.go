package jsonplan

import (
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/state"
)

// Unmanaged is the account's buckets the policy does not name (unmanaged_buckets: report).
type Unmanaged struct {
	// AllRegions says every region was listed; otherwise Regions are the regions listed.
	AllRegions bool     `json:"all_regions"`
	Regions    []string `json:"regions,omitempty"`
	// Buckets are sorted by name; empty when the listing failed (Error says why).
	Buckets []UnmanagedBucket `json:"buckets"`
	Error   string            `json:"error,omitempty"`
}

// UnmanagedBucket is one bucket the policy does not name.
type UnmanagedBucket struct {
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	// Encryption is the default encryption in words ("SSE-S3 (AES256)", "SSE-KMS <key> (bucket
	// key)", "none"); empty when it could not be read.
	Encryption string `json:"encryption"`
	// Rule is the rule as read; absent when none is configured or it could not be read.
	Rule  *Rule  `json:"rule,omitempty"`
	Error string `json:"error,omitempty"`
	// Account is the bucket's account, when the policy lists several.
	Account string `json:"account,omitempty"`
}

// jsonUnmanaged converts the plan's unmanaged buckets; nil when the policy did not ask.
func jsonUnmanaged(u *state.Unmanaged) *Unmanaged {
	if u == nil {
		return nil
	}
	out := &Unmanaged{AllRegions: u.AllRegions, Regions: u.Regions, Error: u.Err, Buckets: make([]UnmanagedBucket, 0, len(u.Buckets))}
	for _, b := range u.Buckets {
		jb := UnmanagedBucket{Name: b.Name, Region: b.Region, Error: b.Err, Account: b.Account}
		if b.Err == "" {
			jb.Encryption = plan.DescribeObserved(b.Rule)
		}
		if b.Rule != nil {
			jb.Rule = observedRule(b.Rule)
		}
		out.Buckets = append(out.Buckets, jb)
	}
	return out
}
