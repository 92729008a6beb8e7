package connectors

import "errors"

// ErrorKind classifies connector errors so that the runner knows what to do.
type ErrorKind int

// The error kinds. Only transient errors are retried, with backoff.
const (
	// KindSystem is a bug or an unexpected failure; not retried.
	KindSystem ErrorKind = iota
	// KindConfig is a problem the user must fix in the config or the source; not retried.
	KindConfig
	// KindTransient is a passing failure (network, rate limit, 5xx); retried.
	KindTransient
)

// String names the kind.
func (k ErrorKind) String() string {
	switch k {
	case KindConfig:
		return "config"
	case KindTransient:
		return "transient"
	}
	return "system"
}

// Error is an error with a kind.
type Error struct {
	Kind ErrorKind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// ConfigError marks err as a configuration problem.
func ConfigError(err error) error { return &Error{Kind: KindConfig, Err: err} }

// TransientError marks err as a passing failure worth retrying.
func TransientError(err error) error { return &Error{Kind: KindTransient, Err: err} }

// KindOf returns the kind of err: that of the first *Error in its chain, else KindSystem.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindSystem
}
