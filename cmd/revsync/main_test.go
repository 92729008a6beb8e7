package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/internal/pgtest"
	"github.com/revsync/revsync/warehouse"
)

// TestMain lets a test re-execute this test binary as the revsync command (for
// subprocess tests such as SIGKILL during a load).
func TestMain(m *testing.M) {
	if os.Getenv("REVSYNC_TEST_AS_CLI") == "1" {
		ctx := context.Background()
		os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
	}
	pgtest.Main(m)
}

type result struct {
	code           int
	stdout, stderr string
}

func cli(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--log-level", "warn"}, args...), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// duckdbWarehouse is the warehouse block of a project on an embedded DuckDB file.
const duckdbWarehouse = "warehouse:\n  type: duckdb\n  path: revsync.duckdb\n"

// postgresWarehouse returns the warehouse block of a project on the test PostgreSQL
// server, in a schema of its own; the DSN travels through the environment, as users do.
func postgresWarehouse(t *testing.T) string {
	t.Setenv("REVSYNC_TEST_PG_DSN", pgtest.DSN(t))
	return "warehouse:\n  type: postgres\n  dsn: ${REVSYNC_TEST_PG_DSN}\n  schema: " + pgtest.Schema(t) + "\n"
}

// project writes a revsync.yaml with a CSV source at dir/data and a DuckDB warehouse.
func project(t *testing.T, dir, asOf string) string {
	t.Helper()
	return projectOn(t, dir, asOf, duckdbWarehouse)
}

// projectOn is project with the given warehouse block.
func projectOn(t *testing.T, dir, asOf, warehouseBlock string) string {
	t.Helper()
	cfg := filepath.Join(dir, "revsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(warehouseBlock+`metrics:
  reporting_currency: USD
  as_of: `+asOf+`
  dimensions: [country, plan]
sources:
  - name: csv
    type: csv
    path: ./data
`), 0o644))
	return cfg
}

// tableCSV returns a query's CSV output.
func tableCSV(t *testing.T, cfg, sql string) string {
	t.Helper()
	r := cli(t, "--config", cfg, "query", "--format", "csv", sql)
	require.Equal(t, 0, r.code, r.stderr)
	return r.stdout
}

// snapshot renders every table a user can read, minus columns that name the run.
func snapshot(t *testing.T, cfg string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range append(warehouse.CanonicalTables(), warehouse.ResultTables()...) {
		cols := strings.Join(slices.DeleteFunc(table.ColumnNames(), func(c string) bool { return c == "synced_at" || c == "run_id" }), ", ")
		out[table.Name] = tableCSV(t, cfg, "SELECT "+cols+" FROM "+table.Name+" ORDER BY "+cols)
	}
	return out
}

func TestCLI_GenerateSyncQuery_EndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := project(t, dir, "2025-12-31")
	r := cli(t, "generate", "--customers", "150", "--seed", "7", "--out", filepath.Join(dir, "data"))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "generated 150 customers")

	r = cli(t, "--config", cfg, "sync")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^sync \S+ succeeded: read \d+, written \d+, rejected 0, deleted 0; MRR at 2025-12-31: \d+\.\d\d USD \(\d+ customers\)\n$`, r.stdout)

	assert.Equal(t, "n\n150\n", tableCSV(t, cfg, "SELECT count(*) AS n FROM customers"))
	monthly := tableCSV(t, cfg, "SELECT period, mrr FROM metrics_monthly WHERE dimension = 'all' ORDER BY period")
	rows, err := csv.NewReader(strings.NewReader(monthly)).ReadAll()
	require.NoError(t, err)
	assert.Len(t, rows, 1+24, "a header and 24 months")

	r = cli(t, "--config", cfg, "query", "--format", "json", "SELECT count(*) AS n FROM mrr_movements")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^\[\n  \{"n": \d+\}\n\]\n$`, r.stdout)

	r = cli(t, "--config", cfg, "metrics", "--dimension", "country", "--from", "2025-12-01")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "segment")
	assert.Contains(t, r.stdout, "2025-12-01")

	// The same sync twice leaves identical tables: no duplicates, no drift.
	before := snapshot(t, cfg)
	r = cli(t, "--config", cfg, "sync")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, before, snapshot(t, cfg))
}

func TestCLI_BadRowIsRejectedAndEveryOtherRowLoads(t *testing.T) {
	dir := t.TempDir()
	cfg := project(t, dir, "2024-03-31")
	data := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(data, 0o755))
	files := map[string]string{
		"customers.csv": "external_id,name,country\nA,Acme,US\nB,Bolt,DE\n",
		"plans.csv":     "external_id,name,interval_unit\nbasic,Basic,month\n",
		"invoices.csv":  "external_id,customer_external_id,date,currency\ni1,A,2024-01-01,USD\ni2,B,2024-01-05,USD\ni3,A,2024-02-01,USD\n",
		"invoice_lines.csv": "external_id,invoice_external_id,type,subscription_external_id,plan_external_id,service_period_start,service_period_end,amount\n" +
			"l1,i1,subscription,s1,basic,2024-01-01,2024-02-01,50\n" +
			"l2,i2,subscription,s2,basic,2024-01-05,2024-02-05,12,50\n" +
			"l3,i3,subscription,s1,basic,2024-02-01,2024-03-01,50\n" +
			"l4,i2,subscription,s2,basic,2024-01-05,2024-02-05,abc\n" +
			"l5,i2,subscription,s2,pro,2024-01-05,2024-02-05,10\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(data, name), []byte(body), 0o644))
	}
	r := cli(t, "--config", cfg, "sync")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "rejected 3")
	assert.Equal(t, "external_id\nl1\nl3\n", tableCSV(t, cfg, "SELECT external_id FROM invoice_lines ORDER BY 1"))
	rejected := tableCSV(t, cfg, "SELECT entity, external_id, reason FROM rejected_records ORDER BY external_id")
	assert.Contains(t, rejected, "invoice_lines.csv line 3: expected 8 columns, found 9")
	assert.Contains(t, rejected, `invoice_lines.csv line 5: invoice_lines 'l4': amount ""abc"" is not a decimal amount`)
	assert.Contains(t, rejected, "invoice_lines 'l5': plan_external_id 'pro' not found in source 'csv'")
}

func TestCLI_ValidateNamesMisspeltKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "revsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("metrics:\n  reporting_curency: EUR\nsources:\n  - name: csv\n    type: csv\n    pathh: ./data\n"), 0o644))
	r := cli(t, "--config", cfg, "validate")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, cfg+`:2: metrics.reporting_curency: unknown key "reporting_curency"`)
	assert.Contains(t, r.stderr, `did you mean "reporting_currency"?`)
	assert.Contains(t, r.stderr, cfg+`:6: sources[0].pathh: unknown key "pathh"`)

	require.NoError(t, os.WriteFile(cfg, []byte("sources:\n  - name: csv\n    type: csv\n    path: ./data\n"), 0o644))
	r = cli(t, "--config", cfg, "validate")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "OK (1 sources, duckdb warehouse)")
}

func TestCLI_UsageErrorsExitTwo(t *testing.T) {
	assert.Equal(t, 2, cli(t, "generate", "--customers", "0", "--out", t.TempDir()).code)
	assert.Equal(t, 2, cli(t, "sync", "--no-such-flag").code)
	r := cli(t, "version")
	assert.Equal(t, 0, r.code)
	assert.Equal(t, "revsync dev\n", r.stdout)
}

// TestCLI_SigkillDuringLoadLeavesPublishedTablesAndNextRunMatchesCleanRun kills a real
// revsync process with SIGKILL in the middle of loading a source, then checks that the
// published tables are exactly as before, and that the next run ends in the same state
// as a clean run into a fresh warehouse. To kill it mid-load deterministically, the
// source's invoice_lines.csv is a named pipe: the test feeds it part of the file (the
// writes return only once the process has read all but the pipe buffer), then kills.
func TestCLI_SigkillDuringLoadLeavesPublishedTablesAndNextRunMatchesCleanRun(t *testing.T) {
	for _, wh := range []struct {
		name  string
		block func(t *testing.T) string
	}{
		{"duckdb", func(*testing.T) string { return duckdbWarehouse }},
		{"postgres", postgresWarehouse},
	} {
		t.Run(wh.name, func(t *testing.T) { sigkillDuringLoad(t, wh.block) })
	}
}

func sigkillDuringLoad(t *testing.T, warehouseBlock func(t *testing.T) string) {
	dir := t.TempDir()
	cfg := projectOn(t, dir, "2025-12-31", warehouseBlock(t))
	data := filepath.Join(dir, "data")
	require.Equal(t, 0, cli(t, "generate", "--customers", "100", "--seed", "1", "--out", data).code)
	require.Equal(t, 0, cli(t, "--config", cfg, "sync").code)
	published := snapshot(t, cfg)

	// A different, larger source whose invoice lines arrive through a pipe.
	require.NoError(t, os.RemoveAll(data))
	require.Equal(t, 0, cli(t, "generate", "--customers", "3000", "--seed", "2", "--out", data).code)
	linesPath := filepath.Join(data, "invoice_lines.csv")
	lines, err := os.ReadFile(linesPath)
	require.NoError(t, err)
	require.NoError(t, os.Remove(linesPath))
	require.NoError(t, syscall.Mkfifo(linesPath, 0o644))

	cmd := exec.Command(os.Args[0], "--config", cfg, "sync")
	cmd.Env = append(os.Environ(), "REVSYNC_TEST_AS_CLI=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	pipe, err := os.OpenFile(linesPath, os.O_WRONLY, 0) // blocks until revsync opens it
	require.NoError(t, err)
	_, err = pipe.Write(lines[:len(lines)*2/3])
	require.NoError(t, err)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	require.Error(t, cmd.Wait())
	pipe.Close()

	status := tableCSV(t, cfg, "SELECT status FROM sync_runs ORDER BY started_at")
	require.Equal(t, "status\nsucceeded\nrunning\n", status, "the killed run never finished (stderr: %s)", stderr.String())
	assert.Equal(t, published, snapshot(t, cfg), "a killed load changes nothing readers see")

	require.NoError(t, os.Remove(linesPath))
	require.NoError(t, os.WriteFile(linesPath, lines, 0o644))
	require.Equal(t, 0, cli(t, "--config", cfg, "sync").code)
	clean := t.TempDir()
	cleanCfg := projectOn(t, clean, "2025-12-31", warehouseBlock(t))
	require.NoError(t, os.Symlink(data, filepath.Join(clean, "data")))
	require.Equal(t, 0, cli(t, "--config", cleanCfg, "sync").code)
	assert.Equal(t, snapshot(t, cleanCfg), snapshot(t, cfg))
}
