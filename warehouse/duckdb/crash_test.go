package duckdb

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The crash child is this test binary re-executed with these variables set; it loads
// data into the warehouse until its parent kills it with SIGKILL.
const (
	crashPathEnv   = "REVSYNC_DUCKDB_CRASH_PATH"
	crashModeEnv   = "REVSYNC_DUCKDB_CRASH_MODE"
	crashMarkerEnv = "REVSYNC_DUCKDB_CRASH_MARKER"
	crashBatch     = 50_000
)

// TestCrashChild is not a test: it is the process the crash tests kill.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashPathEnv)
	if path == "" {
		t.Skip("only runs as the child of a crash test")
	}
	ctx := context.Background()
	w, err := Open(ctx, path)
	require.NoError(t, err)
	marker := func() { require.NoError(t, os.WriteFile(os.Getenv(crashMarkerEnv), []byte("loading"), 0o644)) }
	switch os.Getenv(crashModeEnv) {
	case "upsert":
		// Commit batch after batch, each with its cursor, until killed: the parent must
		// find exactly the batches its cursor says were committed.
		for i := 1; ; i++ {
			tx, err := w.Begin(ctx)
			require.NoError(t, err)
			require.NoError(t, tx.Upsert(ctx, "crash", crashProducts(t, i)))
			require.NoError(t, tx.SaveState(ctx, "crash", "products", strconv.Itoa(i)))
			require.NoError(t, tx.Commit())
			if i == 2 {
				marker()
			}
		}
	case "hold":
		// Keep the file open until killed.
		marker()
		select {}
	case "publish":
		// Fill the staging tables without end: the previous results must survive.
		_ = w.Publish(ctx, func(ctx context.Context, rw warehouse.ResultWriter) error {
			for i := 0; ; i++ {
				if err := rw.Append("customer_mrr", resultRow(warehouse.CustomerMRR, 99, i)...); err != nil {
					return err
				}
				if i == 3*crashBatch {
					marker()
				}
			}
		})
	}
	t.Fatal("the crash child should have been killed")
}

func crashProducts(t testing.TB, batch int) []canonical.Record {
	recs := make([]canonical.Record, crashBatch)
	for j := range recs {
		recs[j] = &canonical.Product{Meta: canonical.Meta{Source: "crash", ExternalID: fmt.Sprintf("p-%d-%d", batch, j)}, Name: "crash product"}
	}
	return recs
}

// runAndKill starts the crash child in mode, waits until it is loading, lets it load a
// little longer and kills it with SIGKILL.
func runAndKill(t *testing.T, path, mode string, after time.Duration) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	marker := filepath.Join(t.TempDir(), "marker")
	cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path, crashModeEnv+"="+mode, crashMarkerEnv+"="+marker)
	out, err := os.CreateTemp(t.TempDir(), "child")
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			log, _ := os.ReadFile(out.Name())
			t.Fatalf("crash child never started loading; its output:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(after)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	require.Error(t, err, "the child must have died from the signal")
	log, _ := os.ReadFile(out.Name())
	if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !status.Signaled() {
		t.Fatalf("crash child exited instead of being killed: %v\n%s", err, log)
	}
}

// prepare makes a warehouse with canonical fixtures, state and one publication, and
// returns what a reader sees of it.
func prepare(t *testing.T, path string) map[string][][]string {
	ctx := context.Background()
	w, err := Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, w.Migrate(ctx))
	tx, err := w.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, tx.Upsert(ctx, "run1", fixtures(t, "csv")))
	require.NoError(t, tx.SaveState(ctx, "csv", "customers", "c-1"))
	require.NoError(t, tx.Commit())
	require.NoError(t, w.Publish(ctx, fillVersion(1, 2000)))
	snap := snapshot(t, w)
	require.NoError(t, w.Close())
	return snap
}

// snapshot reads the fixture rows, the csv state and the published results.
func snapshot(t *testing.T, w *Warehouse) map[string][][]string {
	snap := map[string][][]string{}
	for _, e := range canonical.Entities {
		snap[string(e)] = query(t, w, fmt.Sprintf("SELECT * FROM %s WHERE source = 'csv' ORDER BY external_id", e))
	}
	snap["state"] = query(t, w, "SELECT source, stream, cursor FROM sync_state WHERE source = 'csv'")
	snap["results"] = query(t, w, snapshotQuery)
	snap["customer_mrr"] = query(t, w, "SELECT * FROM customer_mrr ORDER BY customer_external_id")
	return snap
}

func TestCrash_SIGKILLDuringUpsertsKeepsEveryCommittedBatchAndNothingElse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess that loads data")
	}
	path := filepath.Join(t.TempDir(), "crash.duckdb")
	before := prepare(t, path)
	runAndKill(t, path, "upsert", 700*time.Millisecond)

	w := openPath(t, path)
	assert.Equal(t, before, snapshot(t, w), "earlier data and results are intact")
	state, err := w.State(context.Background(), "crash")
	require.NoError(t, err)
	committed, err := strconv.Atoi(state["products"])
	require.NoError(t, err, "the child committed at least two batches before the kill")
	assert.GreaterOrEqual(t, committed, 2)
	assert.Equal(t, [][]string{{strconv.Itoa(committed * crashBatch), strconv.Itoa(committed)}},
		query(t, w, "SELECT count(*), count(DISTINCT split_part(external_id, '-', 2)) FROM products WHERE source = 'crash'"),
		"exactly the batches whose cursor was committed")
	t.Logf("killed after %d committed batches of %d", committed, crashBatch)

	// The next run works on the recovered file.
	upsert(t, w, "run2", fixtures(t, "csv")...)
	assert.Equal(t, "1", count(t, w, "customers"))
}

func TestCrash_SIGKILLDuringPublishKeepsPreviousResults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess that loads data")
	}
	path := filepath.Join(t.TempDir(), "crash.duckdb")
	before := prepare(t, path)
	runAndKill(t, path, "publish", 300*time.Millisecond)

	w := openPath(t, path)
	assert.Equal(t, before, snapshot(t, w))
	require.NoError(t, w.Publish(context.Background(), fillVersion(2, 10)), "the next publication works")
	assert.Equal(t, "v2", query(t, w, snapshotQuery)[0][1])
}

func TestOpen_SecondProcessIsToldTheFileIsInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	path := filepath.Join(t.TempDir(), "locked.duckdb")
	prepare(t, path)
	exe, err := os.Executable()
	require.NoError(t, err)
	marker := filepath.Join(t.TempDir(), "marker")
	cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path, crashModeEnv+"=hold", crashMarkerEnv+"="+marker)
	require.NoError(t, cmd.Start())
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 60*time.Second, 20*time.Millisecond)

	_, err = Open(context.Background(), path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another process has the file open")

	require.NoError(t, cmd.Process.Kill())
	cmd.Wait()
	w := openPath(t, path)
	assert.Equal(t, "1", count(t, w, "customers"), "usable once the other process is gone")
}
