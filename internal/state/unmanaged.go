package state

// Unmanaged is what was seen of the account's buckets the policy does not name, when the policy
// asks for them (unmanaged_buckets: report). sseguard never changes them.
type Unmanaged struct {
	// AllRegions says every region was listed; otherwise Regions are the regions listed.
	AllRegions bool     `json:"all_regions"`
	Regions    []string `json:"regions,omitempty"`
	// Buckets are the buckets found, sorted by name.
	Buckets []UnmanagedBucket `json:"buckets"`
	// Err says why the account's buckets could not be listed (then Buckets is empty).
	Err string `json:"error,omitempty"`
}

// UnmanagedBucket is one bucket the policy does not name.
type UnmanagedBucket struct {
	Name string `json:"name"`
	// Region is the bucket's region; "" when it could not be read (Err says why).
	Region string `json:"region,omitempty"`
	// Encryption is the default encryption rule as S3 returned it (the key as S3 names it, not
	// resolved); nil when none is configured or it could not be read.
	Encryption *Rule `json:"encryption,omitempty"`
	// Err says why the bucket could not be read.
	Err string `json:"error,omitempty"`
}
