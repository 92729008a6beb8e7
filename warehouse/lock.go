package warehouse

import "context"

// Locker is implemented by warehouses that several revsync processes can share
// (PostgreSQL, Snowflake): it keeps two processes from running the same job at once.
// DuckDB needs none: only one process can open its file for writing.
type Locker interface {
	// TryLock takes the named lock without waiting. ok is false when another process
	// holds it. release frees the lock; it must be called exactly once when ok is true.
	TryLock(ctx context.Context, name string) (release func(), ok bool, err error)
}
