package motoserver

import (
	"context"
	"net/http"
	"testing"
)

func TestStartAnswersAndStops(t *testing.T) {
	s := ForTest(t)
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
