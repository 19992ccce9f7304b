package plan

import (
	"fmt"
	"slices"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// QualifyID names a change of a member account in a plan over several accounts: its id prefixed
// by the account ("111122223333/create-key/us-east-1/alias/media"), so that the same key alias
// in two accounts gives two changes. The home account's ids stay as they are.
func QualifyID(account, id string) string { return account + "/" + id }

// Merge combines the plans of a run over several accounts into one, in the order given: each
// bucket, change, blocker and warning is tagged with its plan's account, and the ids of changes
// in accounts other than home are qualified (QualifyID), in DependsOn and bucket rows too. The
// verdict, counts and exit code of the merged plan are computed over everything, as for one
// account. Merge does not modify its arguments.
func Merge(home string, plans ...*Plan) *Plan {
	out := &Plan{Account: home, Buckets: []BucketStatus{}, Changes: []Change{}, Blockers: []Blocker{}, Warnings: []Warning{}}
	for _, p := range plans {
		acct := p.Account
		if out.PolicyPath == "" {
			out.PolicyPath = p.PolicyPath
		}
		out.Accounts = append(out.Accounts, acct)
		id := func(s string) string {
			if s == "" || acct == home {
				return s
			}
			return QualifyID(acct, s)
		}
		ids := func(ss []string) []string {
			if ss == nil {
				return nil
			}
			q := make([]string, len(ss))
			for i, s := range ss {
				q[i] = id(s)
			}
			return q
		}
		for _, b := range p.Buckets {
			b.Account, b.Changes = acct, ids(b.Changes)
			out.Buckets = append(out.Buckets, b)
		}
		for _, c := range p.Changes {
			c.Account, c.ID, c.DependsOn = acct, id(c.ID), ids(c.DependsOn)
			out.Changes = append(out.Changes, c)
		}
		for _, b := range p.Blockers {
			b.Account, b.Change = acct, id(b.Change)
			out.Blockers = append(out.Blockers, b)
		}
		for _, w := range p.Warnings {
			w.Account = acct
			out.Warnings = append(out.Warnings, w)
		}
		if u := p.Unmanaged; u != nil {
			if out.Unmanaged == nil {
				out.Unmanaged = &state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}}
			}
			m := out.Unmanaged
			m.AllRegions = m.AllRegions && u.AllRegions
			for _, r := range u.Regions {
				if !slices.Contains(m.Regions, r) {
					m.Regions = append(m.Regions, r)
				}
			}
			if u.Err != "" {
				m.Err = joinErr(m.Err, fmt.Sprintf("account %s: %s", acct, u.Err))
			}
			for _, b := range u.Buckets {
				b.Account = acct
				m.Buckets = append(m.Buckets, b)
			}
		}
	}
	return out
}

// ForAccount returns the part of a merged plan that concerns one account (Merge's tag), for
// rendering it as a section of its own. Ids stay qualified.
func (p *Plan) ForAccount(account string) *Plan {
	out := &Plan{PolicyPath: p.PolicyPath, Account: account, Buckets: []BucketStatus{}, Changes: []Change{}, Blockers: []Blocker{}, Warnings: []Warning{}}
	for _, b := range p.Buckets {
		if b.Account == account {
			out.Buckets = append(out.Buckets, b)
		}
	}
	for _, c := range p.Changes {
		if c.Account == account {
			out.Changes = append(out.Changes, c)
		}
	}
	for _, b := range p.Blockers {
		if b.Account == account {
			out.Blockers = append(out.Blockers, b)
		}
	}
	for _, w := range p.Warnings {
		if w.Account == account {
			out.Warnings = append(out.Warnings, w)
		}
	}
	if u := p.Unmanaged; u != nil {
		part := &state.Unmanaged{AllRegions: u.AllRegions, Regions: u.Regions, Buckets: []state.UnmanagedBucket{}}
		for _, b := range u.Buckets {
			if b.Account == account {
				part.Buckets = append(part.Buckets, b)
			}
		}
		out.Unmanaged = part
	}
	return out
}

// Unreachable is the plan of an account that could not be reached (its role could not be
// assumed): every bucket of pol (the account's part of the policy) is blocked with
// BlockAccountUnreachable, saying why. reason must already be safe to show (sanitized).
func Unreachable(pol *policy.Policy, account, reason string) *Plan {
	p := &Plan{PolicyPath: pol.Path, Account: account, Changes: []Change{}, Warnings: []Warning{}}
	for _, b := range pol.Buckets {
		p.Buckets = append(p.Buckets, BucketStatus{Name: b.Name, Region: b.Region, Line: b.Pos.Line,
			Status: Blocked, Required: describeRequired(b), Observed: "unknown"})
		p.Blockers = append(p.Blockers, Blocker{Code: BlockAccountUnreachable, Bucket: b.Name, Region: b.Region, Line: b.Pos.Line,
			Message: fmt.Sprintf("account %s could not be reached, so bucket %s was neither read nor changed: %s", account, b.Name, reason)})
	}
	p.sort()
	return p
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
