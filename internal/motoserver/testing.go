package motoserver

import (
	"context"
	"testing"
)

// ForTest starts a moto_server for one test (or one package's TestMain, via a nil-safe tb) and
// stops it when the test ends. A missing moto_server fails the test with how to install it; it
// never skips.
func ForTest(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(context.Background())
	if err != nil {
		tb.Fatalf("moto_server is required for this test: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}
