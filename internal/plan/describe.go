package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// countsText renders a count map in a stable order: "3 unencrypted, 2 sse-s3".
func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// describeRule renders a rule to write for people; name is how the policy names the key.
func describeRule(r *Rule, name string) string {
	s := "SSE-S3 (AES256)"
	if r.Algorithm == AlgKMS {
		s = "SSE-KMS " + name
		if r.BucketKey {
			s += " (bucket key)"
		}
	}
	if slices.Contains(r.BlockedEncryptionTypes, EncryptionTypeSSEC) {
		s += ", SSE-C uploads blocked"
	}
	return s
}

func describeRequired(b policy.Bucket) string {
	if b.Encryption == policy.SSES3 {
		return "SSE-S3 (AES256)"
	}
	s := "SSE-KMS " + b.KMSKey
	if b.BucketKey {
		s += " (bucket key)"
	}
	return s
}

// DescribeObserved describes a default encryption rule as read, for people: "SSE-S3 (AES256)",
// "SSE-KMS <key> (bucket key)", "none" for no rule.
func DescribeObserved(r *state.Rule) string {
	if r == nil {
		return "none"
	}
	switch r.Algorithm {
	case AlgAES256:
		return "SSE-S3 (AES256)" + blockedText(r.BlockedEncryptionTypes)
	case AlgKMS:
		s := "SSE-KMS"
		switch {
		case r.KeyRef == "":
			s += " aws/s3 (AWS managed)"
		case r.KeyARN != "" && r.KeyARN != r.KeyRef:
			s += " " + r.KeyRef + " (" + r.KeyARN + ")"
		default:
			s += " " + r.KeyRef
		}
		if r.BucketKey {
			s += " (bucket key)"
		}
		return s + blockedText(r.BlockedEncryptionTypes)
	default:
		return r.Algorithm + blockedText(r.BlockedEncryptionTypes)
	}
}

func blockedText(types []string) string {
	if slices.Contains(types, EncryptionTypeSSEC) {
		return ", SSE-C uploads blocked"
	}
	return ""
}
