package policy

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestCloudFrontDistributions(t *testing.T) {
	t.Parallel()
	p, err := Load("testdata/ok/cloudfront.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"media-hls": {"arn:aws:cloudfront::123456789012:distribution/EDFDVBD632BHDS5", "arn:aws:cloudfront::111122223333:distribution/E2QWRUHAPOMQZL"},
		"media-cn":  {"arn:aws-cn:cloudfront::123456789012:distribution/E3ABC"},
	}
	for _, b := range p.Buckets {
		if !slices.Equal(b.CloudFrontDistributions, want[b.Name]) {
			t.Errorf("bucket %s: distributions %v, want %v", b.Name, b.CloudFrontDistributions, want[b.Name])
		}
	}
}

func TestParseDistribution(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct{ account, problem string }{
		"arn:aws:cloudfront::123456789012:distribution/EDFDVBD632BHDS5":        {account: "123456789012"},
		"arn:aws-us-gov:cloudfront::123456789012:distribution/E1":              {account: "123456789012"},
		"arn:aws:cloudfront::123456789012:distribution/":                       {problem: `cloudfront_distributions entry "arn:aws:cloudfront::123456789012:distribution/": "" is not a distribution id (upper-case letters and digits, like EDFDVBD632BHDS5)`},
		"arn:aws:cloudfront::123456789012:distribution/E1/x":                   {problem: `cloudfront_distributions entry "arn:aws:cloudfront::123456789012:distribution/E1/x": "E1/x" is not a distribution id (upper-case letters and digits, like EDFDVBD632BHDS5)`},
		"arn:aws:cloudfront::12345:distribution/E1":                            {problem: `cloudfront_distributions entry "arn:aws:cloudfront::12345:distribution/E1": account "12345" is not 12 digits; it must be a CloudFront distribution ARN (arn:aws:cloudfront::ACCOUNT:distribution/ID)`},
		"arn:aws:cloudfront::123456789012:streaming-distribution/EDFDVBD632BH": {problem: `cloudfront_distributions entry "arn:aws:cloudfront::123456789012:streaming-distribution/EDFDVBD632BH" must be a CloudFront distribution ARN (arn:aws:cloudfront::ACCOUNT:distribution/ID)`},
	} {
		acct, problem := parseDistribution(in)
		if acct != want.account || problem != want.problem {
			t.Errorf("parseDistribution(%q) = %q, %q; want %q, %q", in, acct, problem, want.account, want.problem)
		}
	}
}

// The schema refuses what validate refuses about cloudfront_distributions' shape (kept here
// rather than in shapeErrors, so the field's cases stay together).
func TestSchemaRefusesCloudFrontShapes(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	path := filepath.Join("testdata/err", "cloudfront_bad.yaml")
	if err := s.Validate(asJSON(t, path)); err == nil {
		t.Errorf("%s: validate refuses it, the schema accepts it", path)
	}
}
