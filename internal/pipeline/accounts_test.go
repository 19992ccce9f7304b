package pipeline

import (
	"context"
	"errors"
	"testing"
)

// A policy that lists accounts fails clearly, before any AWS call, until plan and apply handle
// several accounts.
func TestAccountsRefused(t *testing.T) {
	t.Parallel()
	const path = "../policy/testdata/ok/accounts.yaml"
	p := &Pipeline{AWS: func(context.Context) (AWS, error) {
		t.Error("AWS reached for a policy that lists accounts")
		return nil, errors.New("no AWS here")
	}}
	if _, err := p.Plan(context.Background(), path); !errors.Is(err, ErrAccounts) {
		t.Errorf("Plan: error %v, want ErrAccounts", err)
	}
	if _, _, err := p.Apply(context.Background(), path); !errors.Is(err, ErrAccounts) {
		t.Errorf("Apply: error %v, want ErrAccounts", err)
	}
}
