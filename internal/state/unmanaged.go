package state

// Unmanaged is what was seen of the account's buckets the policy does not name, when the policy
// asks for them (unmanaged_buckets: report). sseguard never changes them. It is the one
// definition: the plan carries it as it is (plan.Plan.Unmanaged), and the views describe each
// rule themselves (plan.DescribeObserved).
type Unmanaged struct {
	// AllRegions says every region was listed; otherwise Regions are the regions listed.
	AllRegions bool
	Regions    []string
	// Buckets are the buckets found, sorted by name.
	Buckets []UnmanagedBucket
	// Err says why the account's buckets could not be listed (then Buckets is empty).
	Err string
}

// UnmanagedBucket is one bucket the policy does not name.
type UnmanagedBucket struct {
	Name string
	// Region is the bucket's region; "" when it could not be read (Err says why).
	Region string
	// Rule is the default encryption rule as S3 returned it (the key as S3 names it, not
	// resolved); nil when none is configured or it could not be read (Err says why).
	Rule *Rule
	// Err says why the bucket could not be read.
	Err string
	// Account is the bucket's account in a plan over several accounts (plan.Merge sets it);
	// empty as observed.
	Account string
}
