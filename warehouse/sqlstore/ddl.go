package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/revsync/revsync/warehouse"
)

// DDLCommitter is an optional Dialect capability for databases whose DDL statements
// commit any open transaction (Snowflake). Store then keeps every DDL statement out of
// its transactions:
//
//   - Begin runs SessionDDL on the pinned connection before the transaction begins
//     (session-local staging tables, a temporary stage). CreateStaging must then return
//     DML only (emptying the prepared table), and Commit does not drop staging tables:
//     they live as long as the session.
//   - Publish runs PublishDDL on the pinned connection before its transaction begins
//     (creating the tables called PublishStaging(t)), loads them inside the transaction,
//     commits, and then runs Swap on the same connection, statement by statement (each
//     is its own transaction). Dialect.Publish is not used.
type DDLCommitter interface {
	// SessionDDL returns the statements that prepare a write session.
	SessionDDL() []string
	// PublishStaging returns the (unquoted, unqualified) staging table of result table t.
	PublishStaging(t warehouse.Table) string
	// PublishDDL returns the statements that create empty publication staging tables.
	PublishDDL() []string
	// Swap returns the statements that put the committed staging tables live.
	Swap() []string
}

// sessionWith pins one connection, runs pre on it outside any transaction, and begins a
// transaction.
func (s *Store) sessionWith(ctx context.Context, pre []string) (Session, error) {
	if len(pre) == 0 {
		return s.session(ctx)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return Session{}, fmt.Errorf("%s: connect: %w", s.d.Name(), err)
	}
	if err := connExec(ctx, conn, pre); err != nil {
		conn.Close()
		return Session{}, fmt.Errorf("%s: prepare session: %w", s.d.Name(), err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return Session{}, fmt.Errorf("%s: begin transaction: %w", s.d.Name(), err)
	}
	return Session{Conn: conn, Tx: tx}, nil
}

// connExec runs statements in order on conn, outside any transaction.
func connExec(ctx context.Context, conn *sql.Conn, stmts []string) error {
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", abbreviate(q), err)
		}
	}
	return nil
}

// publishDDL is Publish for a DDLCommitter: staging tables made before the transaction,
// loaded and committed inside it, swapped in after it.
func (s *Store) publishDDL(ctx context.Context, dc DDLCommitter, fill func(ctx context.Context, w warehouse.ResultWriter) error) error {
	sess, err := s.sessionWith(ctx, dc.PublishDDL())
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	w := &resultWriter{ctx: ctx, s: s, sess: sess, tables: map[string]*resultBuffer{}}
	if err := s.fillStaging(ctx, sess, w, fill, dc.PublishStaging); err != nil {
		return errors.Join(err, endSession(sess, false))
	}
	if err := sess.Tx.Commit(); err != nil {
		return errors.Join(fmt.Errorf("%s: publish: commit staging tables: %w", s.d.Name(), err), sess.Conn.Close())
	}
	if err := connExec(ctx, sess.Conn, dc.Swap()); err != nil {
		return errors.Join(fmt.Errorf("%s: publish: swap: %w", s.d.Name(), err), sess.Conn.Close())
	}
	return sess.Conn.Close()
}
