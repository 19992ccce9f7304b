package policy

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	aliasRE     = regexp.MustCompile(`^[A-Za-z0-9/_-]+$`)
	keyIDRE     = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	ipLikeRE    = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`)
	bucketRE    = regexp.MustCompile(`^[a-z0-9.-]+$`)
)

// Limits from the AWS documentation for KMS aliases, key descriptions and tags.
const (
	maxAliasLen       = 256
	maxDescriptionLen = 8192
	maxTagKeyLen      = 128
	maxTagValueLen    = 256
)

// Reserved bucket name prefixes and suffixes (S3 general purpose bucket naming rules).
var (
	bucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	bucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// RegionProblem says what is wrong with a region name, or "" when it looks like one.
func RegionProblem(r string) string {
	if regionRE.MatchString(r) {
		return ""
	}
	return fmt.Sprintf("%q is not a region name (like us-east-1)", r)
}

// bucketNameProblem says what is wrong with an S3 bucket name, or "" when it is valid.
func bucketNameProblem(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return fmt.Sprintf("bucket name %q must be 3 to 63 characters long", name)
	case !bucketRE.MatchString(name):
		return fmt.Sprintf("bucket name %q may only contain lowercase letters, digits, dots and hyphens", name)
	case !isAlnum(name[0]) || !isAlnum(name[len(name)-1]):
		return fmt.Sprintf("bucket name %q must start and end with a letter or digit", name)
	case strings.Contains(name, ".."):
		return fmt.Sprintf("bucket name %q must not contain two adjacent dots", name)
	case ipLikeRE.MatchString(name):
		return fmt.Sprintf("bucket name %q must not look like an IP address", name)
	}
	for _, p := range bucketPrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("bucket name %q must not start with %q (reserved by S3)", name, p)
		}
	}
	for _, s := range bucketSuffixes {
		if strings.HasSuffix(name, s) {
			return fmt.Sprintf("bucket name %q must not end with %q (reserved by S3)", name, s)
		}
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// aliasProblem says what is wrong with a KMS alias name (alias/NAME), or "" when it is valid.
func aliasProblem(alias string) string {
	switch {
	case !strings.HasPrefix(alias, "alias/"):
		return fmt.Sprintf("alias %q must start with alias/", alias)
	case strings.HasPrefix(alias, "alias/aws/"):
		return fmt.Sprintf("alias %q: alias/aws/ is reserved for AWS managed keys, which cannot carry a transcoder grant; use a customer managed key", alias)
	case alias == "alias/":
		return "alias has no name after alias/"
	case utf8.RuneCountInString(alias) > maxAliasLen:
		return fmt.Sprintf("alias %q is longer than %d characters", alias, maxAliasLen)
	case !aliasRE.MatchString(alias):
		return fmt.Sprintf("alias %q may only contain letters, digits, /, _ and -", alias)
	}
	return ""
}

// keyRef is a parsed kms_key value.
type keyRef struct {
	// Alias is the alias name (alias/x) when the key is named by alias or alias ARN.
	Alias string
	// Region and Account are set for ARNs only.
	Region, Account string
}

// parseKMSKey checks a bucket's kms_key: an alias name, an alias ARN or a key ARN.
func parseKMSKey(s string) (keyRef, string) {
	switch {
	case strings.HasPrefix(s, "arn:"):
		a, err := arn.Parse(s)
		if err != nil {
			return keyRef{}, fmt.Sprintf("kms_key %q is not a valid ARN: %v", s, err)
		}
		if p := arnProblem(a, "kms"); p != "" {
			return keyRef{}, fmt.Sprintf("kms_key %q: %s", s, p)
		}
		if !regionRE.MatchString(a.Region) {
			return keyRef{}, fmt.Sprintf("kms_key %q: region %q is not a region name (like us-east-1)", s, a.Region)
		}
		ref := keyRef{Region: a.Region, Account: a.AccountID}
		switch {
		case strings.HasPrefix(a.Resource, "alias/"):
			if p := aliasProblem(a.Resource); p != "" {
				return keyRef{}, fmt.Sprintf("kms_key %q: %s", s, p)
			}
			ref.Alias = a.Resource
		case strings.HasPrefix(a.Resource, "key/"):
			if !keyIDRE.MatchString(strings.TrimPrefix(a.Resource, "key/")) {
				return keyRef{}, fmt.Sprintf("kms_key %q: %q is not a key id (a UUID or mrk-...)", s, strings.TrimPrefix(a.Resource, "key/"))
			}
		default:
			return keyRef{}, fmt.Sprintf("kms_key %q must name key/ID or alias/NAME after the account", s)
		}
		return ref, ""
	case strings.HasPrefix(s, "alias/"):
		if p := aliasProblem(s); p != "" {
			return keyRef{}, "kms_key " + p
		}
		return keyRef{Alias: s}, ""
	case keyIDRE.MatchString(s):
		return keyRef{}, fmt.Sprintf("kms_key %q is a bare key id; use the key ARN (arn:aws:kms:REGION:ACCOUNT:key/%s) or an alias (alias/NAME)", s, s)
	}
	if aliasRE.MatchString(s) {
		return keyRef{}, fmt.Sprintf("kms_key %q must start with alias/ (alias/%s), or be an alias ARN or a key ARN", s, s)
	}
	return keyRef{}, fmt.Sprintf("kms_key %q must be an alias (alias/NAME), an alias ARN or a key ARN", s)
}

// arnProblem checks an ARN's partition, service and account.
func arnProblem(a arn.ARN, service string) string {
	switch {
	case !partitionRE.MatchString(a.Partition):
		return fmt.Sprintf("partition %q is not an AWS partition (like aws)", a.Partition)
	case a.Service != service:
		return fmt.Sprintf("service is %q, not %q", a.Service, service)
	case !accountRE.MatchString(a.AccountID):
		return fmt.Sprintf("account %q is not 12 digits", a.AccountID)
	}
	return ""
}

// parsePrincipal checks an IAM role or user ARN (or, with root, the account root ARN) and returns
// its account.
func parsePrincipal(field, s string, root bool) (string, string) {
	want := "an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)"
	if root {
		want = "an IAM role or user ARN or the account root (arn:aws:iam::ACCOUNT:root)"
	}
	a, err := arn.Parse(s)
	if err != nil {
		return "", fmt.Sprintf("%s %q must be %s", field, s, want)
	}
	if p := arnProblem(a, "iam"); p != "" {
		return "", fmt.Sprintf("%s %q: %s; it must be %s", field, s, p, want)
	}
	if a.Region != "" {
		return "", fmt.Sprintf("%s %q: IAM ARNs have no region (arn:aws:iam::ACCOUNT:...)", field, s)
	}
	switch {
	case root && a.Resource == "root":
	case hasName(a.Resource, "role/"), hasName(a.Resource, "user/"):
	default:
		return "", fmt.Sprintf("%s %q must be %s", field, s, want)
	}
	return a.AccountID, ""
}

// hasName reports whether resource is prefix followed by a non-empty name.
func hasName(resource, prefix string) bool {
	name, ok := strings.CutPrefix(resource, prefix)
	if !ok || name == "" || strings.HasSuffix(name, "/") {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
