package action

import (
	"strconv"

	"github.com/sseguard/sseguard/internal/plan"
)

// unmanagedCount is the unmanaged-buckets output: how many of the account's buckets the policy
// does not name. It is set only when the policy asks for them (unmanaged_buckets: report) and
// they could be listed; a listing that failed sets nothing (the summary says why), so that a
// workflow never reads 0 for "unknown".
func unmanagedCount(p *plan.Plan) (string, bool) {
	if p.Unmanaged == nil || p.Unmanaged.Err != "" {
		return "", false
	}
	return strconv.Itoa(len(p.Unmanaged.Buckets)), true
}
