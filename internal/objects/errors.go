package objects

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/sseguard/sseguard/internal/awserr"
)

var (
	// errFatal marks an error that stops the whole run, not one object alone.
	errFatal = errors.New("run stopped")
	// errGone marks an object deleted while it was being re-encrypted.
	errGone = errors.New("the object was deleted meanwhile")
	// errDamaged wraps the error of a run stopped because UpdateObjectEncryption changed an
	// object's bytes: the endpoint does not implement it.
	errDamaged = fmt.Errorf("%w: UpdateObjectEncryption damaged an object", errFatal)
)

// answered says whether S3 answered err with one of codes or, whatever the code, one of
// statuses: a response to HeadObject has no body to carry a code, and some servers answer a bare
// status.
func answered(err error, codes []string, statuses ...int) bool {
	return awserr.Is(err, codes...) || slices.Contains(statuses, awserr.HTTPStatus(err))
}

// isPrecondition: the object changed since it was read (412), or a concurrent conditional write
// collided with ours (409).
func isPrecondition(err error) bool {
	return answered(err, []string{awserr.CodePreconditionFailed, awserr.CodeConditionalConflict},
		http.StatusPreconditionFailed, http.StatusConflict)
}

// isNotFound: the object is not there (any more).
func isNotFound(err error) bool {
	return answered(err, []string{awserr.CodeNoSuchKey, awserr.CodeNotFound}, http.StatusNotFound)
}

// isNotImplemented: the endpoint does not implement the operation, or this use of it.
func isNotImplemented(err error) bool {
	return answered(err, []string{awserr.CodeNotImplemented, awserr.CodeMethodNotAllowed},
		http.StatusNotImplemented, http.StatusMethodNotAllowed)
}

// isArchived: the object's data is in an archive, not restored, and cannot be copied.
func isArchived(err error) bool {
	return awserr.Is(err, awserr.CodeNotInActiveTier, awserr.CodeInvalidObjectState)
}
