package warehousetable

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// recorder is an Emitter that keeps what it receives and parses every record with
// canonical.Parse, as the runner does.
type recorder struct {
	mu          sync.Mutex
	records     []connectors.Record
	parsed      []canonical.Record
	rejects     []canonical.Rejection
	checkpoints []string // stream=cursor
	snapshots   []canonical.Entity
	onRecord    func(n int)
	t           *testing.T
}

func (r *recorder) Record(_ context.Context, rec connectors.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec)
	n := len(r.records)
	r.mu.Unlock()
	p, err := canonical.Parse(rec.Entity, "src", rec.Fields, rec.Attributes)
	require.NoError(r.t, err, "record %v does not parse", rec.Fields)
	r.parsed = append(r.parsed, p)
	if r.onRecord != nil {
		r.onRecord(n)
	}
	return nil
}

func (r *recorder) Reject(_ context.Context, rej canonical.Rejection) error {
	r.rejects = append(r.rejects, rej)
	return nil
}

func (r *recorder) Checkpoint(_ context.Context, stream, cursor string) error {
	r.checkpoints = append(r.checkpoints, stream+"="+cursor)
	return nil
}

func (r *recorder) SnapshotComplete(_ context.Context, e canonical.Entity) error {
	r.snapshots = append(r.snapshots, e)
	return nil
}

// ids returns the external_id of every record received, in order.
func (r *recorder) ids() []string {
	out := make([]string, len(r.records))
	for i, rec := range r.records {
		out[i] = rec.Fields["external_id"]
	}
	return out
}

// duckFile creates a DuckDB file in a temporary folder, runs stmts on it and closes it.
func duckFile(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "source.duckdb")
	duckExec(t, path, stmts...)
	return path
}

// duckExec opens the DuckDB file at path read-write, runs stmts and closes it.
func duckExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	c, err := duckdb.NewConnector(path, nil)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	for _, q := range stmts {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	require.NoError(t, db.Close())
	require.NoError(t, c.Close())
}

// read runs the connector once with state and returns what it emitted.
func read(t *testing.T, s *Settings, state connectors.State, hook func(int)) *recorder {
	t.Helper()
	r := &recorder{t: t, onRecord: hook}
	require.NoError(t, Connector{}.Read(context.Background(), connectors.Config{Source: "src", Settings: s}, state, r))
	return r
}

// stateOf returns prev updated with r's checkpoints, as the runner would commit them
// (last one wins).
func stateOf(prev connectors.State, r *recorder) connectors.State {
	st := connectors.State{}
	for k, v := range prev {
		st[k] = v
	}
	for _, c := range r.checkpoints {
		for i := range c {
			if c[i] == '=' {
				st[c[:i]] = c[i+1:]
				break
			}
		}
	}
	return st
}

func cfgOf(s *Settings) connectors.Config { return connectors.Config{Source: "src", Settings: s} }
