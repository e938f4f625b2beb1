// Package field reports invalid input the way a platform engineer wants to
// read it: the field, the value that was given and what is allowed.
package field

import (
	"fmt"
	"strings"
)

// An Error says that the value of one field is not allowed.
type Error struct {
	// Field is the path of the field, e.g. "spec.size".
	Field string
	// Value is the value that was given, as the user wrote it.
	Value any
	// Allowed says what is allowed instead.
	Allowed string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: invalid value %s: %s", e.Field, render(e.Value), e.Allowed)
}

func render(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("%q", t)
	case float64:
		if t == float64(int64(t)) {
			return fmt.Sprintf("%d", int64(t))
		}
		return fmt.Sprintf("%g", t)
	case nil:
		return "(none)"
	default:
		return fmt.Sprintf("%v", t)
	}
}

// Invalid returns an Error for field.
func Invalid(path string, value any, allowed string) *Error {
	return &Error{Field: path, Value: value, Allowed: allowed}
}

// Required returns an Error for a field that must be set.
func Required(path, allowed string) *Error {
	return &Error{Field: path, Value: nil, Allowed: "required; " + allowed}
}

// OneOf returns an Error for a value outside an enumeration.
func OneOf(path string, value any, allowed ...string) *Error {
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = fmt.Sprintf("%q", a)
	}
	return &Error{Field: path, Value: value, Allowed: "allowed values are " + strings.Join(q, ", ")}
}

// List collects errors so that one reconcile reports every bad field at once.
type List []*Error //nolint:recvcheck // Add appends through a pointer; reading a slice needs none

// Add appends e if it is not nil.
func (l *List) Add(e *Error) {
	if e != nil {
		*l = append(*l, e)
	}
}

// Err returns the list as an error, or nil if it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l List) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Nest re-roots the field errors in err from one path to another, e.g.
// "spec.engine" under "spec.database": a claim that embeds another claim's
// spec reports the other claim's validation in its own terms. Errors that
// are not field errors, and fields outside from, are returned as they are.
func Nest(err error, from, to string) error {
	var l List
	switch t := err.(type) { //nolint:errorlint // a List is returned as it is, never wrapped; anything else is nested whole
	case nil:
		return nil
	case *Error:
		l = List{t}
	case List:
		l = t
	default:
		return err
	}
	out := make(List, len(l))
	for i, e := range l {
		n := *e
		if n.Field == from {
			n.Field = to
		} else if strings.HasPrefix(n.Field, from+".") || strings.HasPrefix(n.Field, from+"[") {
			n.Field = to + n.Field[len(from):]
		}
		out[i] = &n
	}
	return out
}
