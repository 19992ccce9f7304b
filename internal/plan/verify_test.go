package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	after := &Plan{Changes: []Change{
		{ID: "set-default-encryption/still", Kind: SetDefaultEncryption},
		{ID: "reencrypt-objects/b", Kind: ReencryptObjects},
	}}
	tests := map[string]struct {
		in, want []Result
		n        int
	}{
		"a done change no longer needed stays done": {
			in:   []Result{{ChangeID: "set-default-encryption/gone", Outcome: Done}},
			want: []Result{{ChangeID: "set-default-encryption/gone", Outcome: Done}},
		},
		"a done change still needed is unverified": {
			in:   []Result{{ChangeID: "set-default-encryption/still", Outcome: Done}},
			want: []Result{{ChangeID: "set-default-encryption/still", Outcome: Unverified, Error: "the call succeeded but reading back still shows the old state"}},
			n:    1,
		},
		"failed, skipped and unchanged are left as they are": {
			in: []Result{{ChangeID: "set-default-encryption/still", Outcome: Failed, Error: "x"},
				{ChangeID: "set-default-encryption/still", Outcome: Skipped}, {ChangeID: "set-default-encryption/still", Outcome: Unchanged}},
			want: []Result{{ChangeID: "set-default-encryption/still", Outcome: Failed, Error: "x"},
				{ChangeID: "set-default-encryption/still", Outcome: Skipped}, {ChangeID: "set-default-encryption/still", Outcome: Unchanged}},
		},
		"re-encryption is verified object by object, not here": {
			in:   []Result{{ChangeID: "reencrypt-objects/b", Outcome: Done}},
			want: []Result{{ChangeID: "reencrypt-objects/b", Outcome: Done}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := append([]Result(nil), tc.in...)
			if n := Verify(got, after); n != tc.n {
				t.Errorf("Verify = %d, want %d", n, tc.n)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("results (-want +got):\n%s", d)
			}
		})
	}
}
