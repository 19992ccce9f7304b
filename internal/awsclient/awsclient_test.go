package awsclient

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// The SDK's own endpoint variables are honoured, and S3 then uses path-style addressing (an
// emulator or S3-compatible server does not serve virtual-hosted bucket names).
func TestEndpointVariables(t *testing.T) {
	for _, tc := range []struct {
		name, variable string
		wantS3         string
		wantPathStyle  bool
	}{
		{name: "none", wantPathStyle: false},
		{name: "all services", variable: "AWS_ENDPOINT_URL", wantS3: "http://127.0.0.1:4566", wantPathStyle: true},
		{name: "S3 only", variable: "AWS_ENDPOINT_URL_S3", wantS3: "http://127.0.0.1:4566", wantPathStyle: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL", "")
			t.Setenv("AWS_ENDPOINT_URL_S3", "")
			os.Unsetenv("AWS_ENDPOINT_URL")
			os.Unsetenv("AWS_ENDPOINT_URL_S3")
			t.Setenv("AWS_CONFIG_FILE", os.DevNull)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
			t.Setenv("AWS_REGION", "eu-west-1")
			if tc.variable != "" {
				t.Setenv(tc.variable, tc.wantS3)
			}
			c, err := New(context.Background(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			o := c.S3("eu-west-1").Options()
			if got := aws.ToString(o.BaseEndpoint); got != tc.wantS3 {
				t.Errorf("S3 endpoint = %q, want %q", got, tc.wantS3)
			}
			if o.UsePathStyle != tc.wantPathStyle {
				t.Errorf("path style = %v, want %v", o.UsePathStyle, tc.wantPathStyle)
			}
			if o.Region != "eu-west-1" || c.Region() != "eu-west-1" {
				t.Errorf("region = %s / %s, want eu-west-1 from AWS_REGION", o.Region, c.Region())
			}
		})
	}
}

func TestRegionFallbacks(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	os.Unsetenv("AWS_REGION")
	os.Unsetenv("AWS_DEFAULT_REGION")
	c, err := New(context.Background(), Options{Region: "ap-southeast-2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "ap-southeast-2" {
		t.Errorf("region = %s, want the policy's ap-southeast-2 when the environment names none", c.Region())
	}
	if got := c.KMS("").Options().Region; got != "ap-southeast-2" {
		t.Errorf("KMS region = %s", got)
	}
}

// The policy file's region wins over the environment's (README: the file decides).
func TestPolicyRegionWinsOverEnvironment(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_DEFAULT_REGION", "eu-central-1")
	c, err := New(context.Background(), Options{Region: "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "us-west-2" || c.KMS("").Options().Region != "us-west-2" || c.STS().Options().Region != "us-west-2" {
		t.Errorf("region = %s (KMS %s, STS %s), want the policy's us-west-2 over AWS_REGION=eu-west-1",
			c.Region(), c.KMS("").Options().Region, c.STS().Options().Region)
	}
	if got := c.S3("ap-south-1").Options().Region; got != "ap-south-1" {
		t.Errorf("a bucket's own region %s became %s", "ap-south-1", got)
	}
}
