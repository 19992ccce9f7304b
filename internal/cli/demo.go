package cli

import (
	"context"
	"fmt"

	"github.com/sseguard/sseguard/internal/demo"
	"github.com/sseguard/sseguard/internal/motoserver"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// runDemo runs plan → apply → plan on the embedded example policy against a local emulator.
func runDemo(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 {
		fmt.Fprintf(env.Stderr, "sseguard demo: takes no arguments\n")
		return ExitError
	}
	out := env.Stdout
	fmt.Fprintln(out, "Starting a local AWS emulator (moto_server) on a free loopback port...")
	srv, err := motoserver.Start(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sseguard demo: %v\n", err)
		return ExitError
	}
	defer srv.Stop()

	path, cleanup, err := demo.WritePolicy(env.ExamplePolicy)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sseguard demo: %v\n", err)
		return ExitError
	}
	defer cleanup()

	p := &pipeline.Pipeline{Clients: demo.ClientsFor(srv.URL), Log: out}
	c, err := p.Clients(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sseguard demo: %v\n", err)
		return ExitError
	}
	if err := demo.Seed(ctx, c, motoserver.Account); err != nil {
		fmt.Fprintf(env.Stderr, "sseguard demo: seed the emulator: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(out, "Emulator at %s holds three drifted buckets for policy.example.yaml.\n", srv.URL)

	r := &runner{env: Env{Stdout: out, Stderr: env.Stderr}, p: p, red: sanitize.NewRedactor(false)}
	demo.Banner(out, "sseguard plan --policy policy.example.yaml")
	if code := r.plan(ctx, path, true); code == ExitError {
		return code
	}
	demo.Banner(out, "sseguard apply --policy policy.example.yaml")
	if code := r.apply(ctx, path); code != ExitOK {
		return code
	}
	demo.Banner(out, "sseguard plan --policy policy.example.yaml   (again)")
	return r.plan(ctx, path, true)
}
