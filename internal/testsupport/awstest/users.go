package awstest

import (
	"context"
	"fmt"
	"net/url"
)

// NewUser creates the IAM user name in moto's default account with an access key, and answers the
// key's id (moto checks no secret: any will do). Requests signed with it are that user's, as an
// IAM user's access key is in AWS: GetCallerIdentity answers arn:aws:iam::ACCOUNT:user/NAME, a
// principal a key policy can name. (moto answers an access key it never issued as
// arn:aws:sts::ACCOUNT:user/moto, which is no principal AWS knows.)
func (l *Layer) NewUser(ctx context.Context, name string) (string, error) {
	if _, err := l.motoQuery(ctx, setupKey, "iam", url.Values{"Action": {"CreateUser"}, "UserName": {name}, "Version": {"2010-05-08"}}); err != nil {
		return "", fmt.Errorf("create user %s: %w", name, err)
	}
	body, err := l.motoQuery(ctx, setupKey, "iam", url.Values{"Action": {"CreateAccessKey"}, "UserName": {name}, "Version": {"2010-05-08"}})
	if err != nil {
		return "", fmt.Errorf("create an access key for %s: %w", name, err)
	}
	akid := xmlField(body, "AccessKeyId")
	if akid == "" {
		return "", fmt.Errorf("create an access key for %s: no AccessKeyId in %s", name, body)
	}
	return akid, nil
}

// setupKey signs the layer's own setup requests to moto (moto's default account).
const setupKey = "AKIAAWSTESTSETUP0000"
