package e2etest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The JSON plans the built binary writes in the end-to-end tests are checked against the
// published schema (docs/plan.schema.json), so a field the binary writes and the schema does not
// describe fails here, not in a user's pipeline.

var (
	planSchemaOnce sync.Once
	planSchemaC    *jsonschema.Schema
	planSchemaErr  error
)

// checkPlanSchema fails t when raw, a JSON plan the binary wrote, does not match the schema.
func checkPlanSchema(t *testing.T, what string, raw []byte) {
	t.Helper()
	planSchemaOnce.Do(func() {
		planSchemaC, planSchemaErr = jsonschema.NewCompiler().Compile("../../docs/plan.schema.json")
	})
	if planSchemaErr != nil {
		t.Fatalf("compile docs/plan.schema.json: %v", planSchemaErr)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s is not JSON: %v", what, err)
	}
	if err := planSchemaC.Validate(v); err != nil {
		t.Errorf("%s does not match docs/plan.schema.json: %v", what, err)
	}
}
