package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/sseguard/sseguard/internal/pipeline"
)

// demoMoved is what `sseguard demo` prints: the demo runs an AWS emulator behind test-support code
// (the strict AWS layer) that the shipped binary must not contain.
const demoMoved = `sseguard demo: the demo is a command of its own now: run "go run ./cmd/demo" in a clone of the repository (needs moto_server)`

// runDemo says where the demo went.
func runDemo(env Env) int {
	fmt.Fprintln(env.Stderr, demoMoved)
	return ExitError
}

// RunDemoSteps runs what the demo shows once its emulator is seeded: plan, apply, and plan again on
// the policy file at policyPath, each under a banner naming the command a person would type. It
// prints as Main does (through the sanitizer) and runs the stages with env.Pipeline, which must be
// set: the demo's clients point at its emulator, never at the default AWS configuration. It
// returns the exit code of the first step that fails, else the last plan's as
// --detailed-exitcode gives it (0 in sync, 2 changes still pending).
func RunDemoSteps(ctx context.Context, env Env, policyPath string) int {
	env, _, red, flush := safeEnv(env)
	defer flush()
	if env.Pipeline == nil {
		fmt.Fprintln(env.Stderr, "sseguard demo: no pipeline for the emulator")
		return ExitError
	}
	r := &runner{env: env, cmd: "demo", p: env.Pipeline, red: red, op: pipeline.Operation{View: pipeline.View{Progress: env.Stdout}}}
	name := filepath.Base(policyPath)
	banner(env.Stdout, "sseguard plan --policy "+name)
	if code := r.plan(ctx, policyPath, true); code == ExitError {
		return code
	}
	banner(env.Stdout, "sseguard apply --policy "+name)
	if code := r.apply(ctx, policyPath); code != ExitOK {
		return code
	}
	banner(env.Stdout, "sseguard plan --policy "+name+"   (again)")
	return r.plan(ctx, policyPath, true)
}

// banner prints a section heading.
func banner(w io.Writer, title string) {
	fmt.Fprintf(w, "\n==> %s\n\n", title)
}
