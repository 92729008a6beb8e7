// Package runner runs one sync: for each source it reads the connector, normalises and
// validates every record (canonical.Parse), applies the enrichment stage, writes in
// batches inside one warehouse transaction per source together with the connector's
// state, applies deletions and reference resolution, commits; then it computes the
// metrics over all canonical data and publishes them atomically. It owns the warehouse
// transactions; connectors only emit and the metrics engine only computes.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/warehouse"
)

// Options configure one run.
type Options struct {
	Config    *config.Config
	Registry  *connectors.Registry
	Warehouse warehouse.Warehouse
	// Sources limits the run to these source names; empty means all.
	Sources []string
	// Full ignores saved cursors and reads everything.
	Full bool
	// AsOf is the last day metrics are computed for.
	AsOf canonical.Date
	// Job and Trigger are recorded in sync_runs (e.g. "", "cli").
	Job, Trigger string
	// Enrich, when set, runs on every valid record before it is written (SPEC §11).
	Enrich func(canonical.Record) error
	// BatchSize is the number of records written per batch (default 5,000).
	BatchSize int
	// Retries is how often a source whose read fails with a transient error is read
	// again, with exponential backoff from RetryDelay (defaults 2 and 1s).
	Retries    int
	RetryDelay time.Duration
	Logger     *slog.Logger
	// Now returns the current time (tests pin it); default time.Now.
	Now func() time.Time
}

// SourceSummary counts what one source's read did.
type SourceSummary struct {
	Source                           string
	Read, Written, Rejected, Deleted int64
	Err                              error
}

// Summary is the outcome of a run.
type Summary struct {
	RunID   string
	Sources []SourceSummary
	// Metrics is set when metrics were computed and published.
	Metrics *MetricsSummary
}

// Totals adds up the per-source counts.
func (s Summary) Totals() (read, written, rejected, deleted int64) {
	for _, src := range s.Sources {
		read += src.Read
		written += src.Written
		rejected += src.Rejected
		deleted += src.Deleted
	}
	return
}

// ErrSkipped reports that another process holds the run lock for the same job.
var ErrSkipped = errors.New("another revsync process is running this job; skipped")

// Run performs one sync. It returns an error when any source fails or the metrics
// cannot be computed; the previously published metrics then stay as they were, and a
// failed source's records and cursor stay as before the run.
func Run(ctx context.Context, o Options) (Summary, error) {
	o.defaults()
	sum := Summary{RunID: newRunID(o.Now())}
	sources, err := o.selectSources()
	if err != nil {
		return sum, err
	}
	run := warehouse.Run{ID: sum.RunID, Job: o.Job, Trigger: o.Trigger, StartedAt: o.Now().UTC(), Status: "running", Source: sourceNames(sources)}
	if locker, ok := o.Warehouse.(warehouse.Locker); ok {
		release, acquired, err := locker.TryLock(ctx, "revsync:"+o.Job)
		if err != nil {
			return sum, fmt.Errorf("taking the run lock: %w", err)
		}
		if !acquired {
			run.Status = "skipped"
			o.finishRun(ctx, &run, sum, ErrSkipped)
			return sum, ErrSkipped
		}
		defer release()
	}
	if err := o.Warehouse.SaveRun(ctx, run); err != nil {
		return sum, fmt.Errorf("recording the run: %w", err)
	}
	var failed []string
	for _, src := range sources {
		s := o.syncSourceWithRetries(ctx, sum.RunID, src)
		sum.Sources = append(sum.Sources, s)
		if s.Err != nil {
			failed = append(failed, fmt.Sprintf("source %s: %v", src.Name, s.Err))
		}
	}
	err = nil
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case len(failed) > 0:
		err = errors.New(strings.Join(failed, "; ") + " (published metrics left unchanged)")
	default:
		sum.Metrics, err = o.publishMetrics(ctx)
	}
	o.finishRun(ctx, &run, sum, err)
	return sum, err
}

func (o *Options) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.Retries == 0 {
		o.Retries = 2
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Trigger == "" {
		o.Trigger = "cli"
	}
}

func (o *Options) selectSources() ([]config.Source, error) {
	if len(o.Sources) == 0 {
		return o.Config.Sources, nil
	}
	var out []config.Source
	for _, name := range o.Sources {
		found := false
		for _, s := range o.Config.Sources {
			if s.Name == name {
				out, found = append(out, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("source %q is not configured in %s (configured: %s)", name, o.Config.File, sourceNames(o.Config.Sources))
		}
	}
	return out, nil
}

func sourceNames(sources []config.Source) string {
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name
	}
	return strings.Join(names, ",")
}

func (o *Options) finishRun(ctx context.Context, run *warehouse.Run, sum Summary, runErr error) {
	now := o.Now().UTC()
	run.FinishedAt = &now
	run.Read, run.Written, run.Rejected, _ = sum.Totals()
	switch {
	case run.Status == "skipped":
	case runErr == nil:
		run.Status = "succeeded"
	case errors.Is(runErr, context.Canceled):
		run.Status, run.Error = "cancelled", runErr.Error()
	default:
		run.Status, run.Error = "failed", runErr.Error()
	}
	// Record the outcome even when ctx was cancelled.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := o.Warehouse.SaveRun(saveCtx, *run); err != nil {
		o.Logger.Error("recording the run outcome failed", "run_id", run.ID, "error", err)
	}
}

func (o *Options) syncSourceWithRetries(ctx context.Context, runID string, src config.Source) SourceSummary {
	delay := o.RetryDelay
	for attempt := 0; ; attempt++ {
		s := o.syncSource(ctx, runID, src)
		if s.Err == nil || connectors.KindOf(s.Err) != connectors.KindTransient || attempt >= o.Retries {
			return s
		}
		o.Logger.Warn("source read failed; retrying", "source", src.Name, "attempt", attempt+1, "in", delay, "error", s.Err)
		select {
		case <-ctx.Done():
			return s
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// syncSource reads one source inside one transaction: all of it commits, or none.
func (o *Options) syncSource(ctx context.Context, runID string, src config.Source) (s SourceSummary) {
	start := o.Now()
	conn, ok := o.Registry.Lookup(src.Type)
	if !ok {
		return SourceSummary{Source: src.Name, Err: fmt.Errorf("source type %q is not available", src.Type)}
	}
	state := connectors.State{}
	if !o.Full {
		saved, err := o.Warehouse.State(ctx, src.Name)
		if err != nil {
			return SourceSummary{Source: src.Name, Err: fmt.Errorf("reading saved state: %w", err)}
		}
		state = saved
	}
	tx, err := o.Warehouse.Begin(ctx)
	if err != nil {
		return SourceSummary{Source: src.Name, Err: fmt.Errorf("starting a transaction: %w", err)}
	}
	defer func() {
		if s.Err != nil {
			_ = tx.Rollback()
		}
	}()
	em := &batchEmitter{tx: tx, writer: startWriter(ctx, 2), source: src.Name, runID: runID, batchSize: o.BatchSize, enrich: o.Enrich}
	cfg := connectors.Config{Source: src.Name, Settings: src.Settings, BaseDir: o.Config.Dir}
	if err := conn.Read(ctx, cfg, state, em); err != nil {
		_ = em.writer.wait() // its error, if any, is what made Read fail
		em.counts.Source, em.counts.Err = src.Name, err
		return em.counts
	}
	if err := em.finish(ctx); err != nil {
		em.counts.Source, em.counts.Err = src.Name, err
		return em.counts
	}
	if err := tx.Commit(); err != nil {
		em.counts.Source, em.counts.Err = src.Name, fmt.Errorf("committing: %w", err)
		return em.counts
	}
	em.counts.Source = src.Name
	c := em.counts
	o.Logger.Info("source synced", "source", src.Name, "read", c.Read, "written", c.Written, "rejected", c.Rejected, "deleted", c.Deleted, "took", o.Now().Sub(start).Round(time.Millisecond).String())
	return c
}

func newRunID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
