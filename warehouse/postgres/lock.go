package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// TryLock takes the session-level advisory lock
// pg_try_advisory_lock(hashtext('revsync:' || schema), hashtext(name)) on a dedicated
// connection opened for it and held until release, outside the pool, so pool recycling
// can never drop it early. The lock is per schema and name; if the process dies, the
// server ends the session and frees the lock. ok is false when another session holds it.
func (w *Warehouse) TryLock(ctx context.Context, name string) (release func(), ok bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, w.conn.Copy())
	if err != nil {
		return nil, false, fmt.Errorf("postgres: lock %q: open a dedicated connection: %s", name, redactConfig(err, w.conn))
	}
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtext($1), hashtext($2))", "revsync:"+w.schema, name).Scan(&ok); err != nil {
		_ = conn.Close(context.Background())
		return nil, false, fmt.Errorf("postgres: lock %q: %w", name, err)
	}
	if !ok {
		_ = conn.Close(context.Background())
		return nil, false, nil
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Closing the session frees the lock too; unlocking first makes it free
			// even if the close is slow.
			_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext($1), hashtext($2))", "revsync:"+w.schema, name)
			_ = conn.Close(ctx)
		})
	}
	return release, true, nil
}

func redactConfig(err error, cfg *pgx.ConnConfig) string {
	msg := err.Error()
	if cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	return msg
}
