package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/example/billing"
	"github.com/revsync/revsync/plugins/host"
	"github.com/revsync/revsync/plugins/internal/plugintest"
	"github.com/revsync/revsync/sync/runner"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/duckdb"
)

var binDir string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "revsync-e2e-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	for name, pkg := range map[string]string{"example": plugintest.Example, "testplugin": "../host/testdata/testplugin"} {
		if _, err := plugintest.Build(dir, name, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	defer host.Cleanup()
	return m.Run()
}

func exportDir(t *testing.T) string {
	dir, err := filepath.Abs("../example/billing/testdata/export")
	require.NoError(t, err)
	return dir
}

// syncOnce loads yamlText with the plugin host and the in-process Ledgerly connector
// registered, and runs one sync into a fresh DuckDB file.
func syncOnce(t *testing.T, wh warehouse.Warehouse, yamlText string) (runner.Summary, error) {
	t.Helper()
	t.Setenv(host.PathEnv, "")
	reg := connectors.NewRegistry()
	reg.Register(host.NewConnector(host.Options{Dirs: []string{binDir}}))
	reg.Register(billing.New())
	cfg, err := config.Parse(filepath.Join(t.TempDir(), "revsync.yaml"), []byte(yamlText), reg)
	require.NoError(t, err)
	return runner.Run(context.Background(), runner.Options{
		Config: cfg, Registry: reg, Warehouse: wh, AsOf: canonical.NewDate(2024, 3, 31), Trigger: "test", Retries: -1,
	})
}

func openDuckDB(t *testing.T) warehouse.Warehouse {
	wh, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "revsync.duckdb"))
	require.NoError(t, err)
	t.Cleanup(func() { wh.Close() })
	require.NoError(t, wh.Migrate(context.Background()))
	return wh
}

func scanAll(t *testing.T, wh warehouse.Warehouse) map[canonical.Entity][]canonical.Record {
	out := map[canonical.Entity][]canonical.Record{}
	for _, e := range canonical.Entities {
		require.NoError(t, wh.Scan(context.Background(), e, func(r canonical.Record) error {
			out[e] = append(out[e], r)
			return nil
		}))
	}
	return out
}

func query(t *testing.T, wh warehouse.Warehouse, sql string) [][]string {
	res, err := wh.Query(context.Background(), sql)
	require.NoError(t, err)
	var rows [][]string
	for _, r := range res.Rows {
		var row []string
		for _, v := range r {
			if v == nil {
				row = append(row, "NULL")
			} else {
				row = append(row, *v)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

const metricsSQL = "SELECT * FROM metrics_monthly ORDER BY ALL"

func TestSync_ThroughThePluginEqualsInProcess(t *testing.T) {
	viaPlugin, inProcess := openDuckDB(t), openDuckDB(t)
	sum, err := syncOnce(t, viaPlugin, fmt.Sprintf(`
metrics: {reporting_currency: USD}
sources:
  - {name: billing, type: plugin, plugin: example, config: {dir: %q}}
`, exportDir(t)))
	require.NoError(t, err)
	_, err = syncOnce(t, inProcess, fmt.Sprintf(`
metrics: {reporting_currency: USD}
sources:
  - {name: billing, type: ledgerly, dir: %q}
`, exportDir(t)))
	require.NoError(t, err)

	read, written, rejected, _ := sum.Totals()
	assert.Equal(t, int64(35), read, "34 records and 1 rejection")
	assert.Equal(t, int64(34), written)
	assert.Equal(t, int64(1), rejected)

	got, want := scanAll(t, viaPlugin), scanAll(t, inProcess)
	require.NotEmpty(t, want[canonical.InvoiceLines])
	assert.Equal(t, want, got)
	require.NotEmpty(t, query(t, inProcess, metricsSQL))
	assert.Equal(t, query(t, inProcess, metricsSQL), query(t, viaPlugin, metricsSQL))
	assert.Equal(t, query(t, inProcess, "SELECT stream, cursor FROM sync_state ORDER BY stream"),
		query(t, viaPlugin, "SELECT stream, cursor FROM sync_state ORDER BY stream"))
}

func TestSync_CrashingPluginFailsItsSourceOnly(t *testing.T) {
	wh := openDuckDB(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	sum, err := syncOnce(t, wh, fmt.Sprintf(`
metrics: {reporting_currency: USD}
sources:
  - {name: billing, type: plugin, plugin: example, config: {dir: %q}}
  - {name: flaky, type: plugin, plugin: testplugin, config: {mode: crash, crash_after: 25, checkpoint_every: 10, pid_file: %q}}
`, exportDir(t), pidFile))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "flaky")
	assert.Contains(t, err.Error(), `plugin "testplugin"`)
	assert.Contains(t, err.Error(), "crashed during Read")

	bySource := map[string]runner.SourceSummary{}
	for _, s := range sum.Sources {
		bySource[s.Source] = s
	}
	assert.NoError(t, bySource["billing"].Err, "the other source still syncs")
	assert.Equal(t, int64(34), bySource["billing"].Written)
	assert.Error(t, bySource["flaky"].Err)
	assert.Empty(t, query(t, wh, "SELECT external_id FROM customers WHERE source = 'flaky'"), "nothing partial is written")
	assert.Empty(t, query(t, wh, "SELECT cursor FROM sync_state WHERE source = 'flaky'"), "the cursor does not move")
	assert.NotEmpty(t, query(t, wh, "SELECT external_id FROM customers WHERE source = 'billing'"))

	pid := readPID(t, pidFile)
	assert.True(t, processGone(pid), "no orphan plugin process")
}
