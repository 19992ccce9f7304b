package policy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// UnmanagedMode says what sseguard does about the account's buckets the policy does not name.
type UnmanagedMode string

// The values of unmanaged_buckets (or of its mode).
const (
	// UnmanagedIgnore reads nothing about other buckets (the default).
	UnmanagedIgnore UnmanagedMode = "ignore"
	// UnmanagedReport lists them with their default encryption; it never changes them.
	UnmanagedReport UnmanagedMode = "report"
)

// Unmanaged is the policy's unmanaged_buckets: either a mode alone
//
//	unmanaged_buckets: report
//
// which reports the buckets in the regions the policy uses (its region and its buckets'), or a
// mapping that also says which regions to list:
//
//	unmanaged_buckets: {mode: report, regions: all}
//	unmanaged_buckets: {mode: report, regions: [us-east-1, eu-west-1]}
type Unmanaged struct {
	// Mode is ignore (the zero value means the same) or report.
	Mode UnmanagedMode
	// AllRegions is regions: all.
	AllRegions bool
	// Regions are the regions listed under regions; empty (and not AllRegions) means the regions
	// the policy uses.
	Regions []string
	// Pos is where unmanaged_buckets is written (zero when it is not).
	Pos Pos
}

// Report says whether the policy asks for the report.
func (u Unmanaged) Report() bool { return u.Mode == UnmanagedReport }

// unmanagedFields are the fields of unmanaged_buckets written as a mapping.
var unmanagedFields = []string{"mode", "regions"}

// unmanaged checks unmanaged_buckets.
func (c *checker) unmanaged(f field) Unmanaged {
	u := Unmanaged{Pos: Pos{Line: f.at.Line, Column: f.at.Column}}
	n := f.val
	if n.Kind == yaml.ScalarNode {
		u.Mode, _ = c.unmanagedMode(f, "unmanaged_buckets")
		return u
	}
	if n.Kind != yaml.MappingNode {
		c.errorf(f.at, "unmanaged_buckets must be ignore, report, or a mapping of mode, regions (e.g. {mode: report, regions: all}), not %s", describe(n))
		return u
	}
	fs, _ := c.mapping(f.at, "unmanaged_buckets", unmanagedFields)
	mf, ok := fs["mode"]
	if !ok {
		c.errorf(f.at, "unmanaged_buckets has no mode; add mode: report (or ignore)")
	} else {
		u.Mode, _ = c.unmanagedMode(mf, "mode")
	}
	rf, ok := fs["regions"]
	if !ok {
		return u
	}
	if u.Mode == UnmanagedIgnore {
		c.errorf(rf.key, "regions has no effect with mode: ignore; remove it, or write mode: report")
		return u
	}
	u.AllRegions, u.Regions = c.unmanagedRegions(rf)
	return u
}

// unmanagedMode checks the mode (written alone, or as the mapping's mode).
func (c *checker) unmanagedMode(f field, name string) (UnmanagedMode, bool) {
	n := f.val
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		switch m := UnmanagedMode(n.Value); m {
		case UnmanagedIgnore, UnmanagedReport:
			return m, true
		}
		c.errorf(f.at, "%s must be ignore or report, not %q", name, n.Value)
		return "", false
	}
	c.errorf(f.at, "%s must be ignore or report, not %s", name, describe(n))
	return "", false
}

// unmanagedRegions checks regions: all, or a list of region names.
func (c *checker) unmanagedRegions(f field) (all bool, regions []string) {
	n := f.val
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if n.Value == "all" {
			return true, nil
		}
		if RegionProblem(n.Value) == "" {
			c.errorf(f.at, "regions must be all or a list of regions, not the string %q; write regions: [%s]", n.Value, n.Value)
		} else {
			c.errorf(f.at, "regions must be all or a list of regions, not %q", n.Value)
		}
		return false, nil
	}
	if n.Kind != yaml.SequenceNode {
		c.errorf(f.at, "regions must be all or a list of regions, not %s", describe(n))
		return false, nil
	}
	if len(n.Content) == 0 {
		c.errorf(f.at, "regions is an empty list; list regions, write all, or leave regions out for the regions the policy uses")
		return false, nil
	}
	list, nodes, _ := c.strList(f, "regions")
	for i, r := range list {
		if p := RegionProblem(r); p != "" {
			c.errorf(nodes[i], "regions entry %s", p)
			continue
		}
		regions = append(regions, r)
	}
	return false, regions
}

// String is unmanaged_buckets in words, for messages and reports.
func (u Unmanaged) String() string {
	switch {
	case !u.Report():
		return string(UnmanagedIgnore)
	case u.AllRegions:
		return "report, all regions"
	case len(u.Regions) > 0:
		return fmt.Sprintf("report, regions %s", strings.Join(u.Regions, ", "))
	}
	return "report, the regions the policy uses"
}
