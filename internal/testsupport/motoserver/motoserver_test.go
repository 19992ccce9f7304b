package motoserver

import (
	"context"
	"net/http"
	"testing"
)

func TestStartAnswersAndStops(t *testing.T) {
	s, err := Start(context.Background())
	if err != nil {
		// A missing moto_server fails the test with how to install it; it never skips.
		t.Fatalf("moto_server is required for this test: %v", err)
	}
	t.Cleanup(s.Stop)
	resp, err := http.Get(s.URL + "/moto-api/")
	if err != nil {
		t.Fatalf("moto_server at %s does not answer: %v", s.URL, err)
	}
	resp.Body.Close()
	if err := s.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := http.Get(s.URL + "/moto-api/"); err == nil {
		t.Fatalf("moto_server at %s still answers after Stop", s.URL)
	}
}
