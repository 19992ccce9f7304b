package suggest

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	commands := []string{"validate", "plan", "apply", "iam-policy", "init", "version"}
	fields := []string{"name", "region", "encryption", "kms_key", "transcoder_principal", "bucket_key",
		"enforce_on_upload", "require_tls", "existing_objects", "prefixes"}
	flags := []string{"policy", "json", "detailed-exitcode", "redact-account-id", "concurrency", "rps"}
	tests := map[string]struct {
		typed      string
		candidates []string
		want       string
		ok         bool
	}{
		"swap":            {"paln", commands, "plan", true},
		"missing letter":  {"aply", commands, "apply", true},
		"extra letter":    {"validatee", commands, "validate", true},
		"case":            {"PLAN", commands, "plan", true},
		"prefix":          {"iam", commands, "iam-policy", true},
		"far":             {"destroy", commands, "", false},
		"field typo":      {"encyption", fields, "encryption", true},
		"field swap":      {"regoin", fields, "region", true},
		"field other":     {"kms_key_id", fields, "kms_key", true},
		"field ending":    {"rotate", []string{"alias", "region", "rotation", "tags"}, "rotation", true},
		"not a near miss": {"tls", fields, "", false},
		"flag typo":       {"polcy", flags, "policy", true},
		"flag prefix":     {"detailed", flags, "detailed-exitcode", true},
		"short far":       {"x", flags, "", false},
		"empty":           {"", flags, "", false},
		"tie":             {"bat", []string{"bar", "baz"}, "", false},
		"ambiguous start": {"re", fields, "", false},
		"two prefixes":    {"pre", []string{"prefixes", "prefer"}, "", false},
	}
	for name, tc := range tests {
		got, ok := Closest(tc.typed, tc.candidates)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: Closest(%q) = %q, %v; want %q, %v", name, tc.typed, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3}} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := distance(tc.b, tc.a); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}
