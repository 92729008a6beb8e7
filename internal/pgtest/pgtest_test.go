package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestServerAcceptsQueriesAndSchemasAreIsolated(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := pgtest.Schema(t), pgtest.Schema(t)
	require.NotEqual(t, a, b)

	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var version int
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version))
	require.GreaterOrEqual(t, version, 150000)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+a+"; CREATE TABLE "+a+".x (n int)")
	require.NoError(t, err)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", a).Scan(&n))
	require.Equal(t, 1, n)
}

func TestSameServerForEveryCaller(t *testing.T) {
	require.Equal(t, pgtest.DSN(t), pgtest.DSN(t))
}
