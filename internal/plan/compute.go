package plan

import (
	"fmt"
	"sort"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Algorithms as S3 names them.
const (
	AlgAES256 = "AES256"
	AlgKMS    = "aws:kms"
)

// Compute returns the plan that makes the account match the policy. It does no I/O.
func Compute(pol *policy.Policy, st *state.State) *Plan {
	return compute(pol, st, Inputs{})
}

func compute(pol *policy.Policy, st *state.State, in Inputs) *Plan {
	c := &computer{pol: pol, st: st, p: &Plan{PolicyPath: pol.Path, Account: st.Account}, keys: map[state.KeyRef]*keyChange{},
		rotations: map[state.KeyRef]*keyChange{}, in: in}
	c.uses = c.keyUses()
	c.run()
	c.unmanaged()
	c.p.sort()
	return c.p
}

type computer struct {
	pol  *policy.Policy
	st   *state.State
	p    *Plan
	keys map[state.KeyRef]*keyChange // create-key changes, by region and alias, shared by buckets
	// rotations are the enable-key-rotation changes of keys created in this plan.
	rotations map[state.KeyRef]*keyChange
	uses      map[state.KeyRef]*keyUse // what the policy asks of each key, over all its buckets
	in        Inputs                   // what was learned about Batch Operations
}

func (c *computer) run() {
	if c.pol.Account != "" && c.st.Account != "" && c.pol.Account != c.st.Account {
		c.p.Blockers = append(c.p.Blockers, Blocker{
			Code: BlockAccountMismatch,
			Message: fmt.Sprintf("the policy is for account %s but the credentials are for account %s: nothing will be changed",
				c.pol.Account, c.st.Account),
		})
		for _, b := range c.pol.Buckets {
			c.p.Buckets = append(c.p.Buckets, BucketStatus{Name: b.Name, Region: b.Region, Line: b.Pos.Line,
				Status: Blocked, Required: describeRequired(b)})
		}
		return
	}
	for _, b := range c.pol.Buckets {
		c.bucket(b)
	}
}

// bucket plans one bucket. A blocker stops this bucket only: its changes are dropped.
func (c *computer) bucket(b policy.Bucket) {
	row := BucketStatus{Name: b.Name, Region: b.Region, Line: b.Pos.Line, Required: describeRequired(b), Status: InSync}
	bc := &bucketPlan{c: c, b: b}
	defer func() {
		whole, stopped := false, map[string]bool{}
		for _, bl := range bc.blockers {
			if bl.Change == "" {
				whole = true
			}
			stopped[bl.Change] = true
		}
		if len(bc.blockers) > 0 {
			row.Status = Blocked
			c.p.Blockers = append(c.p.Blockers, bc.blockers...)
		}
		if !whole {
			// A blocker that stops one change (a policy AWS would refuse to rewrite) leaves the
			// bucket's other changes, unless they depend on the stopped one.
			for _, ch := range bc.changes {
				if stopped[ch.ID] || dependsOnAny(ch, stopped) {
					continue
				}
				c.p.Changes = append(c.p.Changes, ch)
				row.Changes = append(row.Changes, ch.ID)
			}
			for _, k := range bc.keyChanges {
				if !k.planned {
					k.planned = true
					c.p.Changes = append(c.p.Changes, *k.change)
				}
				row.Changes = append(row.Changes, k.change.ID)
			}
			if len(row.Changes) > 0 && row.Status != Blocked {
				row.Status = Drift
			}
		}
		c.p.Warnings = append(c.p.Warnings, bc.warnings...)
		sort.Strings(row.Changes)
		c.p.Buckets = append(c.p.Buckets, row)
	}()

	ob := c.st.Buckets[b.Name]
	switch {
	case ob == nil:
		bc.block(BlockObserveFailed, "bucket %s was not observed", b.Name)
		return
	case ob.Err != "":
		row.Observed = "unknown"
		bc.block(BlockObserveFailed, "could not read bucket %s: %s", b.Name, ob.Err)
		return
	case !ob.Exists:
		row.Observed = "bucket does not exist"
		bc.block(BlockBucketMissing, "bucket %s does not exist (or is not visible to these credentials); sseguard does not create buckets", b.Name)
		return
	}
	row.Region = ob.Region
	row.Observed = DescribeObserved(ob.Encryption)
	if b.Region != "" && b.Region != ob.Region {
		bc.block(BlockRegionMismatch, "bucket %s is in %s but the policy says %s", b.Name, ob.Region, b.Region)
		return
	}
	bc.region = ob.Region
	bc.observed = ob
	bc.warnOAI()
	if !bc.principalsExist() || !bc.principalsTrusted() || !bc.distributionsTrusted() {
		return
	}

	switch b.Encryption {
	case policy.SSES3:
		bc.sseS3()
	case policy.SSEKMS:
		bc.sseKMS()
		if len(bc.blockers) == 0 && bc.want != nil {
			row.Readers = bc.readers(bc.wantKey)
			row.Replication = bc.replication(bc.wantKey)
		}
	}
	if len(bc.blockers) == 0 && bc.want != nil {
		row.Objects = ob.Objects
		// The bucket policy first: re-encryption depends on it (see kindOrder).
		bc.bucketPolicy()
		bc.objects()
	}
}

func (p *Plan) sort() {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		return a.ID < b.ID
	})
	sort.SliceStable(p.Blockers, func(i, j int) bool {
		a, b := p.Blockers[i], p.Blockers[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Code < b.Code
	})
	sort.SliceStable(p.Warnings, func(i, j int) bool {
		a, b := p.Warnings[i], p.Warnings[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Code < b.Code
	})
	sort.SliceStable(p.Buckets, func(i, j int) bool { return p.Buckets[i].Line < p.Buckets[j].Line })
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	if p.Blockers == nil {
		p.Blockers = []Blocker{}
	}
	if p.Warnings == nil {
		p.Warnings = []Warning{}
	}
}
