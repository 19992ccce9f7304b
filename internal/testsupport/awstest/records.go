package awstest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxRecords bounds the detailed action record; SeenActions keeps counting past it.
const maxRecords = 200000

// Action is one IAM action a request needed, as the layer recorded it. A request can need several
// (CopyObject: s3:PutObject on the destination and s3:GetObject on the source).
type Action struct {
	Time        time.Time
	AccessKeyID string
	// Principal is the caller's ARN as moto knows it ("" when unknown or anonymous).
	Principal string
	// Operation is the API operation as counted (see Operation).
	Operation string
	// Action is the IAM action, e.g. s3:PutObject, per the Service Authorization Reference.
	Action string
	// Resource is the ARN the action was checked against ("*" for actions on no resource).
	Resource string
	// Checked says the access key had an identity policy (SetIdentityPolicy) to check against.
	Checked bool
	// Allowed is false when the layer refused the request for this action.
	Allowed bool
	// Reason says why it was refused, as the AccessDenied message did, followed by the policy
	// statements that decided (or, for requests a hook answered, that it was).
	Reason string
}

// String renders the action on one line: "AKID Operation s3:Action Resource [refused: why]".
func (a Action) String() string {
	s := fmt.Sprintf("%s %s %s %s", a.AccessKeyID, a.Operation, a.Action, a.Resource)
	if !a.Allowed {
		s += " [refused: " + a.Reason + "]"
	}
	return s
}

func (l *Layer) record(c *call, reqs []requirement, reason string) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(reqs) == 0 {
		reqs = []requirement{{action: guessAction(c), resource: "*", allowed: true}}
	}
	if c.op != reqs[0].action {
		l.seen[c.op]++
	}
	for _, q := range reqs {
		a := Action{
			Time: now, AccessKeyID: c.akid, Principal: c.principal, Operation: c.op,
			Action: q.action, Resource: q.resource, Checked: c.restricted, Allowed: q.allowed, Reason: q.reason,
		}
		if a.Reason == "" {
			a.Reason = reason
		}
		if q.detail != "" {
			a.Reason += " [" + q.detail + "]"
		}
		l.seen[a.Action]++
		if len(l.log) >= maxRecords {
			copy(l.log, l.log[1:])
			l.log = l.log[:len(l.log)-1]
		}
		l.log = append(l.log, a)
	}
}

// guessAction names the IAM action of an operation the layer has no mapping for.
func guessAction(c *call) string {
	if c.service == "" {
		return "s3:" + c.name
	}
	return c.service + ":" + c.name
}

// Actions returns the recorded actions, oldest first (at most the last 200,000).
func (l *Layer) Actions() []Action {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Action(nil), l.log...)
}

// Refused returns the recorded actions the layer refused.
func (l *Layer) Refused() []Action {
	var out []Action
	for _, a := range l.Actions() {
		if !a.Allowed {
			out = append(out, a)
		}
	}
	return out
}

// SeenActions counts every IAM action ("s3:DeleteObject") and every operation ("DeleteObjects",
// "DeleteBucketEncryption", "kms:ScheduleKeyDeletion") recorded since the layer started (or
// ResetActions), however many: a suite can assert that one was never sent.
func (l *Layer) SeenActions() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]int, len(l.seen))
	for k, v := range l.seen {
		m[k] = v
	}
	return m
}

// ResetActions clears the action record and SeenActions.
func (l *Layer) ResetActions() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = nil
	l.seen = map[string]int{}
}

// FormatActions renders actions one per line, for test failure messages.
func FormatActions(as []Action) string {
	lines := make([]string, len(as))
	for i, a := range as {
		lines[i] = a.String()
	}
	return strings.Join(lines, "\n")
}

// Destructive are the operations and IAM actions that destroy keys, aliases, objects or
// encryption settings: sseguard must never send them. Pass it to Sent.
var Destructive = []string{
	"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteAlias", "kms:DeleteImportedKeyMaterial",
	"kms:DisableKeyRotation", "kms:DeleteCustomKeyStore",
	"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket",
	"DeleteObject", "DeleteObjects", "DeleteBucket", "DeleteBucketEncryption",
}

// Sent returns, sorted, those of names (operations or IAM actions) that were ever recorded (see
// SeenActions).
func (l *Layer) Sent(names ...string) []string {
	seen := l.SeenActions()
	var out []string
	for _, n := range names {
		if seen[n] > 0 {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// writeVerbs start the names of the IAM actions that change something: in the Service
// Authorization Reference the actions of access level Write, Permissions management and Tagging
// are named by these verbs (s3:PutEncryptionConfiguration, kms:CreateAlias, kms:TagResource,
// iam:PassRole, s3:CreateJob, ...), the Read and List ones by Get, List, Describe, Head.
var writeVerbs = []string{"Put", "Create", "Delete", "Update", "Enable", "Disable", "Tag", "Untag", "Schedule", "Cancel",
	"Abort", "Restore", "Replicate", "Import", "Rotate", "Set", "Attach", "Detach", "Upload", "Copy", "Revoke", "Retire",
	"Pass", "Initiate", "Submit", "Start", "Stop", "Bypass", "Add", "Remove", "Modify", "Reset", "Change"}

// Writes returns those of actions that change something (an IAM action named by one of
// writeVerbs), allowed or not: a run that must only read can be checked to have sent none.
func Writes(actions []Action) []Action {
	var out []Action
	for _, a := range actions {
		_, name, _ := strings.Cut(a.Action, ":")
		for _, v := range writeVerbs {
			if strings.HasPrefix(name, v) {
				out = append(out, a)
				break
			}
		}
	}
	return out
}
