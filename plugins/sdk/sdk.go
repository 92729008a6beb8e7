// Package sdk is what a connector plugin imports: Serve runs a connectors.Connector — the
// same Go interface revsync's built-in connectors implement — as a revsync connector
// plugin speaking connector.v1 over hashicorp/go-plugin (gRPC). A plugin must never write
// to stdout (it carries the handshake); Serve points slog and the log package at stderr,
// where the host picks the lines up as structured logs.
package sdk

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/internal/wire"
)

// Version is the SDK version a plugin reports to the host.
const Version = "1.0.0"

// ProtocolVersion is the connector.v1 major version this SDK speaks.
const ProtocolVersion = wire.ProtocolVersion

// CPUProfileEnv names an environment variable: when set, Serve writes a CPU profile of
// the plugin to that path (for `go tool pprof`) when the host ends the plugin normally.
const CPUProfileEnv = "REVSYNC_PLUGIN_CPUPROFILE"

// watchdogInterval is how often the parent-death watchdog looks at the parent process.
const watchdogInterval = 500 * time.Millisecond

// Serve serves c as a connector plugin until the host ends it, then returns. Run by hand
// (not by revsync), it prints a short explanation and exits with status 1.
func Serve(c connectors.Connector) {
	logger := slog.New(NewStderrHandler(slog.LevelInfo))
	slog.SetDefault(logger)
	log.SetOutput(os.Stderr)
	if os.Getenv("GOGC") == "" {
		// A plugin streams: its live heap is small and it lives for one call, so trading
		// some memory for less GC work raises records/s through the boundary.
		debug.SetGCPercent(400)
	}
	if path := os.Getenv(CPUProfileEnv); path != "" {
		stop := startCPUProfile(path, logger)
		defer stop()
	}
	go watchParent(os.Getppid(), func() {
		logger.Error("revsync (the plugin's parent process) is gone; exiting")
		os.Exit(1)
	})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(&wire.GRPCPlugin{Impl: wire.NewServer(c, Version)}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, wire.ServerOptions()...)...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "revsync-sdk", Output: os.Stderr, JSONFormat: true, Level: hclog.Info,
		}),
	})
}

// watchParent calls gone when the parent process changes (the host died and the plugin
// was re-parented), polling getppid; a plugin must never outlive revsync.
func watchParent(ppid int, gone func()) {
	if ppid <= 1 {
		return // started by init or a test harness: nothing to watch
	}
	for range time.Tick(watchdogInterval) {
		if os.Getppid() != ppid {
			gone()
			return
		}
	}
}

// Logger returns the logger a connector should use: inside a Read served by this SDK it
// sends log lines over the Read stream (in order with the records, so revsync attaches
// the source and run), elsewhere it is slog's default (stderr).
func Logger(ctx context.Context) *slog.Logger {
	if h := wire.StreamLogHandler(ctx, slog.LevelDebug); h != nil {
		return slog.New(h)
	}
	return slog.Default()
}

// NewStderrHandler returns a slog handler writing JSON lines to stderr in the shape
// go-plugin's host parses (@level, @message, @timestamp), so that revsync logs them with
// their level and attributes.
func NewStderrHandler(level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				return slog.String("@level", hclogLevel(a.Value.Any()))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}

func hclogLevel(v any) string {
	l, ok := v.(slog.Level)
	if !ok {
		return fmt.Sprint(v)
	}
	switch {
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

func startCPUProfile(path string, logger *slog.Logger) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		logger.Error("cannot write the CPU profile", "path", path, "error", err.Error())
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		logger.Error("cannot start the CPU profile", "error", err.Error())
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
