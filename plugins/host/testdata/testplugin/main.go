// Command testplugin is a connector plugin for the host's tests: it emits synthetic
// customers with checkpoints and can crash, hang or log on demand (config.mode).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/sdk"
)

type settings struct {
	Mode            string `yaml:"mode"` // emit | crash | hang | fail
	Count           int    `yaml:"count"`
	CrashAfter      int    `yaml:"crash_after"`
	CheckpointEvery int    `yaml:"checkpoint_every"`
	PIDFile         string `yaml:"pid_file"`
}

type conn struct{}

func (conn) Spec() connectors.Spec {
	return connectors.Spec{Type: "testplugin", NewSettings: func() any { return &settings{} }}
}

func (conn) Check(context.Context, connectors.Config) error { return nil }

func (conn) Discover(context.Context, connectors.Config) ([]connectors.Stream, error) {
	return []connectors.Stream{{Name: "customers", Entity: canonical.Customers, Incremental: true}}, nil
}

func (conn) Read(ctx context.Context, cfg connectors.Config, _ connectors.State, emit connectors.Emitter) error {
	s := cfg.Settings.(*settings)
	if s.PIDFile != "" {
		if err := os.WriteFile(s.PIDFile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return err
		}
	}
	slog.Info("testplugin reading", "mode", s.Mode, "count", s.Count)
	sdk.Logger(ctx).Info("stream log line", "source", cfg.Source)
	if s.Mode == "fail" {
		return connectors.TransientError(fmt.Errorf("the test source is down"))
	}
	for i := 1; s.Mode != "emit" || i <= s.Count; i++ {
		if s.Mode == "crash" && i > s.CrashAfter {
			// Let gRPC flush what was sent: a crash loses unsent messages, not sent ones.
			time.Sleep(300 * time.Millisecond)
			panic(fmt.Sprintf("testplugin: crashing on purpose after %d records", s.CrashAfter))
		}
		if s.Mode == "hang" && i > 3 {
			<-ctx.Done()
			return ctx.Err()
		}
		r := connectors.Record{Entity: canonical.Customers, Fields: map[string]string{
			"external_id": fmt.Sprintf("cus_%07d", i), "name": fmt.Sprintf("Customer %d", i),
			"email": fmt.Sprintf("c%d@example.com", i), "country": "US",
			"created_at": "2024-01-02T03:04:05Z",
		}, Attributes: canonical.Attributes{"n": int64(i), "tier": "gold"}}
		if err := emit.Record(ctx, r); err != nil {
			return err
		}
		if s.CheckpointEvery > 0 && i%s.CheckpointEvery == 0 {
			if err := emit.Checkpoint(ctx, "customers", strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return emit.SnapshotComplete(ctx, canonical.Customers)
}

func main() { sdk.Serve(conn{}) }
