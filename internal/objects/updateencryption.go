package objects

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awserr"
)

// updateEncryption re-encrypts an object with UpdateObjectEncryption. It answers done=false,
// err=nil when the operation is off for the run, or turns out to be: not implemented by the
// endpoint, or refused (the caller copies instead).
//
// A refusal is any error S3 answers that is neither transient (the retryer's to handle) nor about
// this object having changed or gone: most often 403 AccessDenied, for want of
// s3:UpdateObjectEncryption or of the KMS permissions it needs on either key (Amazon S3 API
// Reference, "UpdateObjectEncryption",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UpdateObjectEncryption.html). It damaged
// nothing, and a copy may well be allowed (s3:PutObject): the gate closes for the run, with the
// code, and this object and every later one are copied.
func (r *runner) updateEncryption(ctx context.Context, key string, h *s3.HeadObjectOutput) (done bool, err error) {
	use, verify := r.gate.acquire()
	if !use {
		return false, nil
	}
	outcome, code := gateFailed, ""
	defer func() { r.gate.release(outcome, code) }()
	in := &s3.UpdateObjectEncryptionInput{
		Bucket: aws.String(r.t.Bucket),
		Key:    aws.String(key),
		ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{
			KMSKeyArn:        aws.String(r.t.KeyARN),
			BucketKeyEnabled: aws.Bool(r.t.BucketKey),
		}},
	}
	if r.versioning != "" && h.VersionId != nil {
		// The version read: a newer upload in between is left alone (and verified alone).
		in.VersionId = h.VersionId
	}
	if _, err := r.c.UpdateObjectEncryption(ctx, in); err != nil {
		switch {
		case isNotImplemented(err):
			outcome = gateNotImplemented
			return false, nil
		case isNotFound(err):
			return false, fmt.Errorf("update object encryption: %w: %w", errGone, err)
		case r.refused(ctx, err):
			outcome, code = gateRefused, awserr.Code(err)
			return false, nil
		}
		return false, fmt.Errorf("update object encryption: %w", err)
	}
	if !verify {
		outcome = gateOK
		return true, nil
	}
	after, err := r.head(ctx, key, aws.ToString(in.VersionId))
	if err != nil {
		return false, fmt.Errorf("read object back after UpdateObjectEncryption: %w", err)
	}
	if aws.ToString(after.ETag) != aws.ToString(h.ETag) || aws.ToInt64(after.ContentLength) != aws.ToInt64(h.ContentLength) {
		outcome = gateDamaged
		err := fmt.Errorf("%w: s3://%s/%s changed from ETag %s, %d bytes to ETag %s, %d bytes; the endpoint does not implement UpdateObjectEncryption (it took the request for an upload). Run stopped; restore this object from a previous version or a backup, and use update-object-encryption: never for this endpoint",
			errDamaged, r.t.Bucket, key, aws.ToString(h.ETag), aws.ToInt64(h.ContentLength), aws.ToString(after.ETag), aws.ToInt64(after.ContentLength))
		// Stop every other worker before the gate lets them go on.
		r.cancel(err)
		return false, err
	}
	if kind := classify(r.encryptionOf(ctx, after), r.t); kind != "" {
		// Answered OK, changed nothing: don't trust it for the rest of the run.
		outcome = gateUntrusted
		return false, nil
	}
	outcome = gateOK
	return true, nil
}

// refused says whether err is S3 refusing a request, as opposed to a transient error, the run
// ending, or a precondition (the object changed: read it again).
func (r *runner) refused(ctx context.Context, err error) bool {
	return ctx.Err() == nil && awserr.Code(err) != "" && !r.c.transient(err) && !isPrecondition(err)
}

// updateGate lets the first UpdateObjectEncryption of a run go alone: until one call has been read
// back unchanged, no other is sent, so an endpoint that takes the request for an upload damages
// one object, not one per worker. The next few calls are verified too. A refusal closes it too:
// the calls waiting behind the first one then copy without sending it.
type updateGate struct {
	mu       sync.Mutex
	cond     *sync.Cond
	state    gateState
	verified int
	used     bool
	why      gateOutcome // why the gate closed, when it did after being tried
	code     string      // the error code of the refusal that closed it
}

// gateState is where the gate stands: not tried yet, one call in flight alone, open, or closed.
type gateState int

const (
	gateUntested gateState = iota
	gateProbing
	gateTrusted
	gateOff
)

// gateOutcome is what one call the gate let through came to.
type gateOutcome int

const (
	gateOK gateOutcome = iota
	gateFailed
	gateNotImplemented
	gateUntrusted
	gateDamaged
	gateRefused
)

// verifyCalls is how many UpdateObjectEncryption calls of a run are read back.
const verifyCalls = 3

func newGate(enabled bool) *updateGate {
	g := &updateGate{}
	g.cond = sync.NewCond(&g.mu)
	if !enabled {
		g.state = gateOff
	}
	return g
}

func (g *updateGate) usable() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state != gateOff
}

func (g *updateGate) acquire() (use, verify bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.state == gateProbing {
		g.cond.Wait()
	}
	switch g.state {
	case gateUntested:
		g.state = gateProbing
		return true, true
	case gateTrusted:
		verify = g.verified < verifyCalls
		if verify {
			g.verified++
		}
		return true, verify
	}
	return false, false
}

// release records the outcome of a call acquire allowed; code is the error code of a refusal.
func (g *updateGate) release(o gateOutcome, code string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	probing := g.state == gateProbing
	switch o {
	case gateOK:
		g.used = true
		if probing {
			g.state = gateTrusted
			g.verified++
		}
	case gateFailed:
		if probing {
			g.state = gateUntested
		}
	case gateNotImplemented, gateUntrusted, gateDamaged, gateRefused:
		if g.state != gateOff {
			g.state = gateOff
			g.why, g.code = o, code
		}
	}
	g.cond.Broadcast()
}

// String is the gate's outcome for Summary.UpdateObjectEncryption.
func (g *updateGate) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.why {
	case gateNotImplemented:
		return "not-implemented"
	case gateUntrusted:
		return "untrusted"
	case gateDamaged:
		return "damaged"
	case gateRefused:
		s := "refused: " + safeCode(g.code)
		if g.used {
			s = "used, then " + s
		}
		return s
	}
	if g.used {
		return "used"
	}
	return "unused"
}

// safeCode keeps an error code (from the server: untrusted) to the characters error codes use.
func safeCode(code string) string {
	var b strings.Builder
	for _, c := range code {
		if b.Len() >= 64 {
			break
		}
		if c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "unknown error"
	}
	return b.String()
}
