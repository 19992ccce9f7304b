package plan

import "github.com/sseguard/sseguard/internal/state"

// unmanaged carries the observed unmanaged buckets into the plan (state.Unmanaged, copied so
// that Merge's account tags do not write into the state). They are never changed: no change, no
// blocker.
func (c *computer) unmanaged() {
	u := c.st.Unmanaged
	if u == nil {
		return
	}
	out := *u
	out.Buckets = append(make([]state.UnmanagedBucket, 0, len(u.Buckets)), u.Buckets...)
	c.p.Unmanaged = &out
}
