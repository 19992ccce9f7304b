// Command demo shows sseguard end to end without an AWS account: it starts a local AWS emulator
// (moto_server) behind sseguard's strict AWS layer, creates three buckets that have drifted from
// policy.example.yaml, and runs plan, apply and plan again on that file. Nothing outside the
// emulator is touched. Run it from a clone of the repository:
//
//	go run ./cmd/demo
//
// The strict layer (internal/awstest) answers as S3 and KMS document where moto does not — it
// holds bucket policies and judges uploads and copies with S3's condition keys, where moto refuses
// every upload under a conditional Deny. It is test support, which is why the demo is a command
// of its own and not part of the sseguard binary.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/awstest"
	"github.com/sseguard/sseguard/internal/cli"
	"github.com/sseguard/sseguard/internal/demo"
	"github.com/sseguard/sseguard/internal/motoserver"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// examplePolicy is the repository's policy.example.yaml. go:embed cannot reach a parent
// directory, so this directory holds a copy; TestEmbeddedPolicyIsTheExample keeps it equal
// (`go test ./cmd/demo -run TestEmbeddedPolicyIsTheExample -update` rewrites it).
//
//go:embed policy.example.yaml
var examplePolicy []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run starts moto_server and the strict layer in front of it, shows the demo, and stops both.
func run(ctx context.Context, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "Starting a local AWS emulator (moto_server) behind sseguard's strict AWS layer, on free loopback ports...")
	layer, err := awstest.Start(ctx, awstest.Options{})
	if err != nil {
		return fail(stderr, err)
	}
	defer layer.Close()
	return show(ctx, layer, stdout, stderr)
}

// show seeds the drifted state through layer (so that the bucket policies are the layer's) and
// runs plan, apply and plan again on the example policy. It returns the demo's exit code.
func show(ctx context.Context, layer *awstest.Layer, stdout, stderr io.Writer) int {
	path, cleanup, err := demo.WritePolicy(examplePolicy)
	if err != nil {
		return fail(stderr, err)
	}
	defer cleanup()

	c, err := awsclient.ForEndpoint(ctx, layer.URL)
	if err != nil {
		return fail(stderr, fmt.Errorf("connect to the emulator: %w", err))
	}
	p := &pipeline.Pipeline{AWS: pipeline.Static(pipeline.FromClients(c))}
	if err := demo.Seed(ctx, c, motoserver.Account); err != nil {
		return fail(stderr, fmt.Errorf("seed the emulator: %w", err))
	}
	fmt.Fprintf(stdout, "Emulator at %s (moto_server behind the strict layer) holds three drifted buckets for policy.example.yaml.\n", layer.URL)
	return cli.RunDemoSteps(ctx, cli.Env{Stdout: stdout, Stderr: stderr, Pipeline: p}, path)
}

// fail prints err on one sanitized line and returns the error exit code.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "demo: %s\n", sanitize.Line(err.Error()))
	return cli.ExitError
}
