package pipeline

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sseguard/sseguard/internal/apply"
	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/observe"
)

// AWS gives each stage the narrow clients it needs. FromClients adapts the SDK's clients; tests
// give fakes.
type AWS interface {
	// Region is the region of calls not tied to a bucket's or key's own.
	Region() string
	Observe() observe.Clients
	Apply() apply.Clients
	// Objects is the S3 client existing objects are scanned and re-encrypted with, in region.
	Objects(region string) objects.S3API
}

// FromClients adapts awsclient's clients to AWS.
func FromClients(c *awsclient.Clients) AWS { return sdkClients{c} }

// Static returns a Pipeline.AWS function that always answers a.
func Static(a AWS) func(context.Context) (AWS, error) {
	return func(context.Context) (AWS, error) { return a, nil }
}

// The adapters satisfy the interfaces each stage takes.
var (
	_ AWS             = sdkClients{}
	_ observe.Clients = observeClients{}
	_ apply.Clients   = applyClients{}
)

type sdkClients struct{ c *awsclient.Clients }

func (s sdkClients) Region() string                      { return s.c.Region() }
func (s sdkClients) Config() aws.Config                  { return s.c.Config() }
func (s sdkClients) Observe() observe.Clients            { return observeClients(s) }
func (s sdkClients) Apply() apply.Clients                { return applyClients(s) }
func (s sdkClients) Objects(region string) objects.S3API { return s.c.S3(region) }

type observeClients struct{ c *awsclient.Clients }

func (o observeClients) S3(region string) observe.S3API   { return o.c.S3(region) }
func (o observeClients) KMS(region string) observe.KMSAPI { return o.c.KMS(region) }
func (o observeClients) STS() observe.STSAPI              { return o.c.STS() }
func (o observeClients) IAM() observe.IAMAPI              { return o.c.IAM() }

type applyClients struct{ c *awsclient.Clients }

func (a applyClients) S3(region string) apply.S3API   { return a.c.S3(region) }
func (a applyClients) KMS(region string) apply.KMSAPI { return a.c.KMS(region) }
