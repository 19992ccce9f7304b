package iampolicy

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// operator is a parsed condition operator such as "ForAllValues:StringLikeIfExists".
type operator struct {
	set      string // "", "ForAnyValue" or "ForAllValues"
	base     string // "StringEquals", "Null", ...
	ifExists bool
	negated  bool
	match    func(policy, request string) bool
}

// baseOperators maps each supported operator to whether it is negated and how one policy value
// matches one request value. A negated operator is true when no policy value matches.
var baseOperators = map[string]struct {
	negated bool
	match   func(policy, request string) bool
}{
	"StringEquals":              {false, func(p, r string) bool { return p == r }},
	"StringNotEquals":           {true, func(p, r string) bool { return p == r }},
	"StringEqualsIgnoreCase":    {false, strings.EqualFold},
	"StringNotEqualsIgnoreCase": {true, strings.EqualFold},
	"StringLike":                {false, Glob},
	"StringNotLike":             {true, Glob},
	"ArnEquals":                 {false, arnLike},
	"ArnLike":                   {false, arnLike},
	"ArnNotEquals":              {true, arnLike},
	"ArnNotLike":                {true, arnLike},
	"NumericEquals":             {false, numeric(func(c int) bool { return c == 0 })},
	"NumericNotEquals":          {true, numeric(func(c int) bool { return c == 0 })},
	"NumericLessThan":           {false, numeric(func(c int) bool { return c < 0 })},
	"NumericLessThanEquals":     {false, numeric(func(c int) bool { return c <= 0 })},
	"NumericGreaterThan":        {false, numeric(func(c int) bool { return c > 0 })},
	"NumericGreaterThanEquals":  {false, numeric(func(c int) bool { return c >= 0 })},
	"DateEquals":                {false, date(func(c int) bool { return c == 0 })},
	"DateNotEquals":             {true, date(func(c int) bool { return c == 0 })},
	"DateLessThan":              {false, date(func(c int) bool { return c < 0 })},
	"DateLessThanEquals":        {false, date(func(c int) bool { return c <= 0 })},
	"DateGreaterThan":           {false, date(func(c int) bool { return c > 0 })},
	"DateGreaterThanEquals":     {false, date(func(c int) bool { return c >= 0 })},
	"Bool":                      {false, strings.EqualFold},
	"BinaryEquals":              {false, func(p, r string) bool { return p == r }},
	"IpAddress":                 {false, ipIn},
	"NotIpAddress":              {true, ipIn},
	"Null":                      {false, nil},
}

func parseOperator(op string) (operator, bool) {
	var o operator
	rest := op
	if p, r, ok := strings.Cut(op, ":"); ok {
		if p != "ForAnyValue" && p != "ForAllValues" {
			return o, false
		}
		o.set, rest = p, r
	}
	if b, ok := strings.CutSuffix(rest, "IfExists"); ok && b != "Null" {
		o.ifExists, rest = true, b
	}
	def, ok := baseOperators[rest]
	if !ok {
		return o, false
	}
	o.base, o.negated, o.match = rest, def.negated, def.match
	return o, true
}

// evalConditions ANDs every operator and every key of a Condition element. A definite false
// anywhere makes the whole false; otherwise an operator sseguard cannot judge makes it unknown.
func evalConditions(cond map[string]map[string][]string, ctx map[string][]string, vars bool) (tri, string) {
	result, why := yes, ""
	ops := make([]string, 0, len(cond))
	for op := range cond {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		o, ok := parseOperator(op)
		if !ok {
			result, why = unknown, fmt.Sprintf("unknown condition operator %q", op)
			continue
		}
		keys := make([]string, 0, len(cond[op]))
		for k := range cond[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			vals := cond[op][key]
			if vars && hasVariable(vals) {
				result, why = unknown, fmt.Sprintf("condition %s on %q uses a policy variable", op, key)
				continue
			}
			if !o.eval(vals, ctx[strings.ToLower(key)]) {
				return no, ""
			}
		}
	}
	return result, why
}

// eval applies the operator to one condition key, following the rules AWS documents in "IAM JSON
// policy elements: Condition operators" and "Single-valued vs. multivalued context keys":
//   - a key absent from the request makes a non-negated operator false and a negated one true;
//   - ...IfExists is true when the key is absent;
//   - Null is true for "true" iff the key is absent, for "false" iff present;
//   - ForAllValues is true when the key is absent (or empty), ForAnyValue false;
//   - ForAnyValue stays false for an absent key with ...IfExists too: the set operator decides
//     first (AWS refuses a request whose only Allow is ForAnyValue:StringEqualsIfExists on an
//     absent aws:TagKeys, https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w; "Single-valued vs.
//     multivalued context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
//     ForAnyValue returns false when the key is not in the request; found by the differential
//     test against iam-simulate, judge_test.go);
//   - several policy values for one key are ORed.
func (o operator) eval(policy, request []string) bool {
	present := len(request) > 0
	if o.base == "Null" {
		for _, v := range policy {
			if (strings.EqualFold(v, "true") && !present) || (strings.EqualFold(v, "false") && present) {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case o.set == "ForAnyValue":
			return false
		case o.ifExists, o.set == "ForAllValues":
			return true
		}
		return o.negated
	}
	// sat says whether one request value satisfies the operator against the policy values.
	sat := func(r string) bool {
		for _, p := range policy {
			if o.match(p, r) {
				return !o.negated
			}
		}
		return o.negated
	}
	switch o.set {
	case "ForAllValues":
		for _, r := range request {
			if !sat(r) {
				return false
			}
		}
		return true
	case "ForAnyValue":
		for _, r := range request {
			if sat(r) {
				return true
			}
		}
		return false
	}
	// Without a set operator: a positive operator holds if any request value matches any policy
	// value; a negated one holds if no request value matches any policy value.
	matched := false
	for _, r := range request {
		for _, p := range policy {
			if o.match(p, r) {
				matched = true
			}
		}
	}
	return matched != o.negated
}

// arnLike compares two ARNs component by component; each of the six colon-separated components
// of the policy value may hold * and ? wildcards (ArnEquals and ArnLike behave alike).
func arnLike(policy, request string) bool {
	pp := strings.SplitN(policy, ":", 6)
	rp := strings.SplitN(request, ":", 6)
	if len(pp) != 6 || len(rp) != 6 {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], rp[i]) {
			return false
		}
	}
	return true
}

func numeric(ok func(cmp int) bool) func(string, string) bool {
	return func(p, r string) bool {
		pf, err1 := strconv.ParseFloat(strings.TrimSpace(p), 64)
		rf, err2 := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err1 != nil || err2 != nil {
			return false
		}
		switch {
		case rf < pf:
			return ok(-1)
		case rf > pf:
			return ok(1)
		}
		return ok(0)
	}
}

func date(ok func(cmp int) bool) func(string, string) bool {
	return func(p, r string) bool {
		pt, ok1 := parseDate(p)
		rt, ok2 := parseDate(r)
		if !ok1 || !ok2 {
			return false
		}
		return ok(rt.Compare(pt))
	}
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func ipIn(policy, request string) bool {
	addr, err := netip.ParseAddr(request)
	if err != nil {
		return false
	}
	if pfx, err := netip.ParsePrefix(policy); err == nil {
		return pfx.Contains(addr.Unmap())
	}
	if a, err := netip.ParseAddr(policy); err == nil {
		return a.Unmap() == addr.Unmap()
	}
	return false
}
