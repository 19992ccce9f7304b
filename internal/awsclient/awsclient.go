// Package awsclient builds the AWS SDK clients sseguard uses, from the SDK's default configuration
// chain (environment, shared config and credentials files, SSO, web identity, instance roles).
//
// Custom endpoints come from the SDK's own AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>
// variables. When S3 is pointed at a custom endpoint, addressing is path-style: emulators and
// most S3-compatible servers do not serve virtual-hosted bucket names.
package awsclient

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Options tune the clients.
type Options struct {
	// Region, when set, is the region of every call not tied to a bucket's or key's own region.
	// It wins over AWS_REGION and the config files: it comes from the policy file, which says
	// where its account's calls go; the environment only fills in when the file names none.
	Region string
	// MaxConns sizes the HTTP connection pool; 0 means the SDK's default.
	MaxConns int
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Endpoint, when set, sends every service to this URL with path-style S3, and ignores the
	// shared config and credentials files (used for the local emulator of the demo and tests).
	Endpoint string
	// Credentials, when set, replace the default credential chain.
	Credentials aws.CredentialsProvider
}

// Clients hands out service clients, one per region, all sharing one configuration and one HTTP
// connection pool.
type Clients struct {
	cfg         aws.Config
	s3PathStyle bool
	mu          sync.Mutex
	s3ByRegion  map[string]*s3.Client
	kmsByRegion map[string]*kms.Client
}

// New loads the SDK's default configuration.
func New(ctx context.Context, o Options) (*Clients, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var opts []func(*config.LoadOptions) error
	if o.MaxConns > 0 {
		opts = append(opts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = o.MaxConns
			t.MaxIdleConnsPerHost = o.MaxConns
		})))
	}
	if o.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(o.Endpoint),
			config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Clients{
		cfg:         cfg,
		s3PathStyle: o.Endpoint != "" || getenv("AWS_ENDPOINT_URL_S3") != "" || getenv("AWS_ENDPOINT_URL") != "",
		s3ByRegion:  map[string]*s3.Client{},
		kmsByRegion: map[string]*kms.Client{},
	}, nil
}

// RoleSessionName is the session name of every role sseguard assumes: CloudTrail shows it in the
// assumed-role ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/sseguard).
const RoleSessionName = "sseguard"

// AssumeRole returns clients that act as the role roleARN, assumed with c's credentials through
// STS AssumeRole (with externalID when not empty), in region (empty: c's region). They share c's
// endpoint, addressing and connection pool. The role is assumed on first use and again before its
// credentials expire; a role that cannot be assumed fails that first call.
//
// "AssumeRole": ExternalId is passed when the role's trust policy asks for it (sts:ExternalId),
// RoleSessionName names the session
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
func (c *Clients) AssumeRole(roleARN, externalID, region string) *Clients {
	cfg := c.cfg.Copy()
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(c.cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = RoleSessionName
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	cfg.Credentials = aws.NewCredentialsCache(provider)
	if region != "" {
		cfg.Region = region
	}
	return &Clients{
		cfg:         cfg,
		s3PathStyle: c.s3PathStyle,
		s3ByRegion:  map[string]*s3.Client{},
		kmsByRegion: map[string]*kms.Client{},
	}
}

// Config is a copy of the configuration every client is built from (credentials, endpoint,
// connection pool), for services this package has no client of (S3 Control).
func (c *Clients) Config() aws.Config { return c.cfg.Copy() }

// Region is the configuration's default region.
func (c *Clients) Region() string { return c.cfg.Region }

// S3 returns the S3 client for region (empty: the default region).
func (c *Clients) S3(region string) *s3.Client {
	region = c.regionOr(region)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.s3ByRegion[region]; ok {
		return cl
	}
	cl := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.Region = region
		o.UsePathStyle = c.s3PathStyle
	})
	c.s3ByRegion[region] = cl
	return cl
}

// KMS returns the KMS client for region (empty: the default region).
func (c *Clients) KMS(region string) *kms.Client {
	region = c.regionOr(region)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.kmsByRegion[region]; ok {
		return cl
	}
	cl := kms.NewFromConfig(c.cfg, func(o *kms.Options) { o.Region = region })
	c.kmsByRegion[region] = cl
	return cl
}

// STS returns an STS client in the default region.
func (c *Clients) STS() *sts.Client { return sts.NewFromConfig(c.cfg) }

// IAM returns an IAM client (IAM is global).
func (c *Clients) IAM() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *Clients) regionOr(region string) string {
	if region == "" {
		return c.cfg.Region
	}
	return region
}

// ForEndpoint returns clients for a local AWS endpoint (an emulator such as moto_server), in
// us-east-1, with throwaway credentials and none of the user's AWS configuration.
func ForEndpoint(ctx context.Context, url string) (*Clients, error) {
	return New(ctx, Options{
		Endpoint:    url,
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}
