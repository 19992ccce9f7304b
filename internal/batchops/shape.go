package batchops

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// A job is sseguard's only when DescribeJob shows exactly what sseguard would have created:
// anyone with s3:CreateJob can write sseguard's description on a job of theirs (a copy into a
// bucket they own, another key, another role, a report elsewhere). Verify compares the job with
// the CreateJob request the spec makes, member by member: the operation and all its parameters,
// the manifest generator (source bucket, its owner, the manifest output, every filter member), the
// report, the role, confirmation, the description and the account. Priority is left out: an
// operator may change it (UpdateJobPriority) and it changes no object.

// ForeignError says why a job that carries sseguard's description is not sseguard's.
type ForeignError struct {
	ID, Description string
	// Why lists the differences found.
	Why []string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("batch job %s carries sseguard's description %q but not the shape sseguard creates: %s", e.ID, e.Description, strings.Join(e.Why, "; "))
}

// Verify answers nil when the job j (as DescribeJob answered it) is exactly the job the spec
// creates, else a *ForeignError. A zero s.CreatedBefore (the generation's start is not known: the
// bucket's record does not hold it) accepts the job's own CreatedBefore when it is not after the
// job's creation: such a job takes no object sseguard's own would not.
func Verify(s Spec, j *Job) error {
	d := j.descriptor
	ferr := &ForeignError{ID: j.ID}
	if d == nil {
		ferr.Why = []string{"DescribeJob did not answer its shape"}
		return ferr
	}
	ferr.Description = aws.ToString(d.Description)
	if s.CreatedBefore.IsZero() {
		g, ok := d.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator)
		var cb time.Time
		if ok && g.Value.Filter != nil {
			cb = aws.ToTime(g.Value.Filter.CreatedBefore)
		}
		if cb.IsZero() || (!j.Created.IsZero() && cb.After(j.Created.Add(time.Second))) {
			ferr.Why = append(ferr.Why, fmt.Sprintf("its manifest takes objects created before %s, not before its own creation", cb.UTC().Format(time.RFC3339)))
			return ferr
		}
		s.CreatedBefore = cb
	}
	want, err := s.Input()
	if err != nil {
		ferr.Why = append(ferr.Why, err.Error())
		return ferr
	}
	if got := aws.ToString(d.Description); got != aws.ToString(want.Description) {
		ferr.Why = append(ferr.Why, fmt.Sprintf("description %q, not %q", got, aws.ToString(want.Description)))
	}
	if a, err := arn.Parse(aws.ToString(d.JobArn)); err == nil && a.AccountID != s.Account {
		ferr.Why = append(ferr.Why, fmt.Sprintf("it is in account %s", a.AccountID))
	}
	if got := aws.ToString(d.RoleArn); got != s.RoleARN {
		ferr.Why = append(ferr.Why, fmt.Sprintf("it runs as %s, not %s", got, s.RoleARN))
	}
	if aws.ToBool(d.ConfirmationRequired) != s.ConfirmationRequired {
		ferr.Why = append(ferr.Why, fmt.Sprintf("ConfirmationRequired %v", aws.ToBool(d.ConfirmationRequired)))
	}
	if d.Manifest != nil {
		ferr.Why = append(ferr.Why, "it reads a manifest file instead of generating its manifest")
	}
	ferr.Why = append(ferr.Why, differences("operation", want.Operation, d.Operation)...)
	ferr.Why = append(ferr.Why, differences("manifest generator", want.ManifestGenerator, d.ManifestGenerator)...)
	ferr.Why = append(ferr.Why, differences("report", want.Report, d.Report)...)
	if len(ferr.Why) > 0 {
		return ferr
	}
	return nil
}

// differences compares two values of the SDK's types member by member and describes each
// difference (at most a few). An absent member equals its zero value (an echo may fill in a
// default such as false); times compare as instants.
func differences(path string, want, got any) []string {
	var out []string
	diff(path, reflect.ValueOf(want), reflect.ValueOf(got), &out)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more differences", len(out)-5))
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

func diff(path string, w, g reflect.Value, out *[]string) {
	w, g = settle(w), settle(g)
	switch {
	case !w.IsValid() && !g.IsValid():
		return
	case !w.IsValid() || !g.IsValid():
		v := w
		if !v.IsValid() {
			v = g
		}
		if !v.IsZero() {
			*out = append(*out, fmt.Sprintf("%s: %s", path, describe(w, g)))
		}
		return
	case w.Type() != g.Type():
		*out = append(*out, fmt.Sprintf("%s: %s instead of %s", path, g.Type(), w.Type()))
		return
	}
	if w.Type() == timeType {
		if !w.Interface().(time.Time).Equal(g.Interface().(time.Time)) {
			*out = append(*out, fmt.Sprintf("%s: %s", path, describe(w, g)))
		}
		return
	}
	switch w.Kind() {
	case reflect.Struct:
		for i := 0; i < w.NumField(); i++ {
			f := w.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			diff(path+"."+f.Name, w.Field(i), g.Field(i), out)
		}
	case reflect.Slice:
		// An empty list can mean something an absent one does not (NewObjectTagging: no tags at
		// all, where absent copies the source's).
		if w.IsNil() != g.IsNil() {
			*out = append(*out, fmt.Sprintf("%s: %s", path, presence(w, g)))
			return
		}
		if w.Len() != g.Len() {
			*out = append(*out, fmt.Sprintf("%s: %d entries, not %d", path, g.Len(), w.Len()))
			return
		}
		for i := 0; i < w.Len(); i++ {
			diff(fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i), out)
		}
	case reflect.Map:
		if w.Len() != g.Len() {
			*out = append(*out, fmt.Sprintf("%s: %d entries, not %d", path, g.Len(), w.Len()))
			return
		}
		for _, k := range w.MapKeys() {
			diff(fmt.Sprintf("%s[%v]", path, k), w.MapIndex(k), g.MapIndex(k), out)
		}
	default:
		if w.Interface() != g.Interface() {
			*out = append(*out, fmt.Sprintf("%s: %s", path, describe(w, g)))
		}
	}
}

// settle follows pointers and interfaces to the value; nil gives the invalid Value.
func settle(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

func presence(w, g reflect.Value) string {
	if w.IsNil() {
		return fmt.Sprintf("present (%d entries), not absent", g.Len())
	}
	return "absent, not present"
}

func describe(w, g reflect.Value) string {
	show := func(v reflect.Value) string {
		if !v.IsValid() {
			return "absent"
		}
		switch {
		case v.Type() == timeType:
			return v.Interface().(time.Time).UTC().Format(time.RFC3339)
		case v.Kind() == reflect.Struct, v.Kind() == reflect.Slice, v.Kind() == reflect.Map:
			return "present" // a whole member, present on one side only: its name says which
		}
		return fmt.Sprintf("%v", v.Interface())
	}
	return fmt.Sprintf("%s, not %s", show(g), show(w))
}
