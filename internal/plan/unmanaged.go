package plan

import "github.com/sseguard/sseguard/internal/state"

// Unmanaged is the account's buckets the policy does not name, as the plan reports them
// (unmanaged_buckets: report). They are never changed: no change, no blocker.
type Unmanaged struct {
	// AllRegions says every region was listed; otherwise Regions are the regions listed.
	AllRegions bool     `json:"all_regions"`
	Regions    []string `json:"regions,omitempty"`
	// Buckets are sorted by name.
	Buckets []UnmanagedBucket `json:"buckets"`
	// Error says why the account's buckets could not be listed.
	Error string `json:"error,omitempty"`
}

// UnmanagedBucket is one bucket the policy does not name.
type UnmanagedBucket struct {
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	// Encryption describes the default encryption for people: "SSE-S3 (AES256)", "SSE-KMS
	// <key> (bucket key)", "none"; "" when it could not be read (Error says why).
	Encryption string `json:"encryption"`
	// Rule is the default encryption rule as S3 returned it; nil when none is configured or it
	// could not be read.
	Rule *state.Rule `json:"rule,omitempty"`
	// Error says why the bucket could not be read.
	Error string `json:"error,omitempty"`
	// Account is the bucket's account, in a plan over several accounts (Merge).
	Account string `json:"account,omitempty"`
}

// unmanaged carries the observed unmanaged buckets into the plan.
func (c *computer) unmanaged() {
	u := c.st.Unmanaged
	if u == nil {
		return
	}
	out := &Unmanaged{AllRegions: u.AllRegions, Regions: u.Regions, Error: u.Err, Buckets: make([]UnmanagedBucket, 0, len(u.Buckets))}
	for _, b := range u.Buckets {
		ub := UnmanagedBucket{Name: b.Name, Region: b.Region, Rule: b.Encryption, Error: b.Err}
		if b.Err == "" {
			ub.Encryption = c.describeObserved(b.Encryption)
		}
		out.Buckets = append(out.Buckets, ub)
	}
	c.p.Unmanaged = out
}
