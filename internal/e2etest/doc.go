// Package e2etest holds sseguard's end-to-end tests (as terraform's internal/command/e2etest): the
// test process builds the real binary once, starts one moto_server behind the strict AWS layer
// (internal/testsupport/awstest) and runs sseguard as a user would, in parallel tests that each have their
// own names, access keys and stand-ins. It has no code of its own; see main_test.go.
//
// `go test ./...` runs the fast tier: every behaviour end to end, at small scale. SSEGUARD_LONG=1
// adds the heavy scenarios and the full-size runs. SSEGUARD_BINARY=/path runs the tests against
// another build of sseguard.
package e2etest
