package awstest

import "testing"

func TestWrites(t *testing.T) {
	t.Parallel()
	var as []Action
	for _, a := range []string{"s3:GetEncryptionConfiguration", "kms:DescribeKey", "kms:ListResourceTags", "sts:AssumeRole",
		"s3:PutEncryptionConfiguration", "kms:CreateAlias", "kms:TagResource", "iam:PassRole", "s3:CreateJob", "kms:EnableKeyRotation", "s3:ListBucket"} {
		as = append(as, Action{Action: a})
	}
	var got []string
	for _, a := range Writes(as) {
		got = append(got, a.Action)
	}
	want := []string{"s3:PutEncryptionConfiguration", "kms:CreateAlias", "kms:TagResource", "iam:PassRole", "s3:CreateJob", "kms:EnableKeyRotation"}
	if len(got) != len(want) {
		t.Fatalf("Writes = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("Writes = %v, want %v", got, want)
		}
	}
}
