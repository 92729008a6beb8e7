package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/warehouse"
)

// scriptedConnector is a test connector whose behaviour each test scripts: it emits a
// customer and an invoice with one line per call, checkpoints, then fails if told to.
type scriptedConnector struct {
	failAfterEmit error // returned after emitting, when set
	failures      int   // the first N reads fail with a transient error before emitting
	reads         int
	gotState      connectors.State
	amount        string
}

func (c *scriptedConnector) Spec() connectors.Spec                          { return connectors.Spec{Type: "scripted"} }
func (c *scriptedConnector) Check(context.Context, connectors.Config) error { return nil }
func (c *scriptedConnector) Discover(context.Context, connectors.Config) ([]connectors.Stream, error) {
	return nil, nil
}

func (c *scriptedConnector) Read(ctx context.Context, _ connectors.Config, state connectors.State, emit connectors.Emitter) error {
	c.reads++
	c.gotState = state
	if c.reads <= c.failures {
		return connectors.TransientError(errors.New("503 from the billing API"))
	}
	records := []connectors.Record{
		{Entity: canonical.Customers, Fields: map[string]string{"external_id": "Z", "country": "NL"}},
		{Entity: canonical.Plans, Fields: map[string]string{"external_id": "m", "name": "M", "interval_unit": "month"}},
		{Entity: canonical.Invoices, Fields: map[string]string{"external_id": "z1", "customer_external_id": "Z", "date": "2024-01-01", "currency": "USD"}},
		{Entity: canonical.InvoiceLines, Fields: map[string]string{"external_id": "z1-l", "invoice_external_id": "z1", "type": "subscription",
			"subscription_external_id": "zs", "plan_external_id": "m", "service_period_start": "2024-01-01", "service_period_end": "2024-02-01", "amount": c.amount}},
	}
	for _, r := range records {
		if err := emit.Record(ctx, r); err != nil {
			return err
		}
	}
	if err := emit.Checkpoint(ctx, "invoices", "cursor-"+c.amount); err != nil {
		return err
	}
	return c.failAfterEmit
}

func scriptedOptions(t *testing.T, open func(*testing.T) warehouse.Warehouse, conn *scriptedConnector) Options {
	reg := connectors.NewRegistry()
	reg.Register(conn)
	return Options{
		Config: &config.Config{File: "test.yaml", Metrics: config.Metrics{ReportingCurrency: "USD", SubscriptionEnd: "service_period"},
			Sources: []config.Source{{Name: "billing", Type: "scripted"}}},
		Registry: reg, Warehouse: open(t), AsOf: canonical.NewDate(2024, 1, 31), RetryDelay: time.Millisecond,
	}
}

func query(t *testing.T, o Options, sql string) []string {
	t.Helper()
	res, err := o.Warehouse.Query(context.Background(), sql)
	require.NoError(t, err)
	var out []string
	for _, row := range res.Rows {
		if row[0] == nil {
			out = append(out, "NULL")
		} else {
			out = append(out, *row[0])
		}
	}
	return out
}

func TestRun_FailedSourceLeavesPublishedMetricsDataAndCursorUnmoved(t *testing.T) {
	for _, wo := range openers {
		t.Run(wo.name, func(t *testing.T) {
			conn := &scriptedConnector{amount: "50"}
			o := scriptedOptions(t, wo.open, conn)
			_, err := Run(context.Background(), o)
			require.NoError(t, err)
			assert.Equal(t, []string{"50.0000"}, query(t, o, "SELECT mrr FROM metrics_monthly WHERE dimension = 'all'"))

			conn.amount, conn.failAfterEmit = "80", errors.New("connection reset mid-stream")
			sum, err := Run(context.Background(), o)
			require.ErrorContains(t, err, "source billing: connection reset mid-stream (published metrics left unchanged)")
			assert.Nil(t, sum.Metrics)
			assert.Equal(t, []string{"50.0000"}, query(t, o, "SELECT mrr FROM metrics_monthly WHERE dimension = 'all'"))
			assert.Equal(t, []string{"50.0000"}, query(t, o, "SELECT amount FROM invoice_lines"), "the failed read wrote nothing")
			assert.Equal(t, []string{"cursor-50"}, query(t, o, "SELECT cursor FROM sync_state WHERE source = 'billing'"))
			assert.Equal(t, []string{"succeeded", "failed"}, query(t, o, "SELECT status FROM sync_runs ORDER BY started_at, run_id"))

			conn.failAfterEmit = nil
			_, err = Run(context.Background(), o)
			require.NoError(t, err)
			assert.Equal(t, connectors.State{"invoices": "cursor-50"}, conn.gotState, "the next run resumes from the last committed cursor")
			assert.Equal(t, []string{"cursor-80"}, query(t, o, "SELECT cursor FROM sync_state WHERE source = 'billing'"))
			assert.Equal(t, []string{"80.0000"}, query(t, o, "SELECT mrr FROM metrics_monthly WHERE dimension = 'all'"))
		})
	}
}

func TestRun_TransientErrorsAreRetriedOthersAreNot(t *testing.T) {
	wo := openers[0]
	conn := &scriptedConnector{amount: "10", failures: 2}
	o := scriptedOptions(t, wo.open, conn)
	_, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, 3, conn.reads, "two transient failures, then success")

	conn.reads, conn.failures = 0, 5
	_, err = Run(context.Background(), o)
	require.ErrorContains(t, err, "503 from the billing API")
	assert.Equal(t, 3, conn.reads, "gives up after the configured retries")

	conn.reads, conn.failures, conn.failAfterEmit = 0, 0, connectors.ConfigError(errors.New("bad key"))
	_, err = Run(context.Background(), o)
	require.ErrorContains(t, err, "bad key")
	assert.Equal(t, 1, conn.reads, "config errors are not retried")
}

func TestRun_UnknownSourceNameIsAnError(t *testing.T) {
	o := scriptedOptions(t, openers[0].open, &scriptedConnector{amount: "1"})
	o.Sources = []string{"nope"}
	_, err := Run(context.Background(), o)
	require.EqualError(t, err, `source "nope" is not configured in test.yaml (configured: billing)`)
}

func TestRun_SecondProcessOnTheSameJobIsSkipped(t *testing.T) {
	wo := openers[1] // PostgreSQL: a warehouse several processes share
	require.Equal(t, "postgres", wo.name)
	conn := &scriptedConnector{amount: "10"}
	o := scriptedOptions(t, wo.open, conn)
	o.Job = "nightly"
	locker, ok := o.Warehouse.(warehouse.Locker)
	require.True(t, ok)
	release, acquired, err := locker.TryLock(context.Background(), "revsync:nightly")
	require.NoError(t, err)
	require.True(t, acquired)

	_, err = Run(context.Background(), o)
	require.ErrorIs(t, err, ErrSkipped)
	assert.Zero(t, conn.reads, "a skipped run reads nothing")
	assert.Equal(t, []string{"skipped"}, query(t, o, "SELECT status FROM sync_runs WHERE job = 'nightly'"))

	release()
	_, err = Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, 1, conn.reads)
}
