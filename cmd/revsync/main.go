// Command revsync syncs billing data into a warehouse and computes subscription metrics.
// It only parses flags, loads the config and calls the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/internal/app"
	plugincli "github.com/revsync/revsync/plugins/cli"
	"github.com/revsync/revsync/plugins/host"
	"github.com/revsync/revsync/warehouse"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries a process exit code: 1 for a failed run, 2 for bad usage or config.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	host.Cleanup() // no plugin process outlives revsync
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var problems config.Problems
	var ee *exitError
	switch {
	case errors.As(err, &problems):
		fmt.Fprintf(stderr, "revsync: the config has %d problem(s):\n%s\n", len(problems), problems.Error())
		return 2
	case errors.Is(err, plugincli.ErrVerifyFailed):
		fmt.Fprintln(stderr, "revsync:", err)
		return 1
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, "revsync:", ee.err)
		return ee.code
	default:
		fmt.Fprintln(stderr, "revsync:", err)
		return 1
	}
}

// globals are the flags every command takes.
type globals struct {
	configPath string
	logLevel   string
	stdout     io.Writer
	stderr     io.Writer
}

func (g *globals) load() (*app.Env, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usageError("--log-level %q is not a level (use debug, info, warn, error)", g.logLevel)
	}
	return app.Load(g.configPath, app.Logger(g.stderr, level))
}

// query loads the config, opens the warehouse for the span of one SQL statement and
// returns its result.
func (g *globals) query(ctx context.Context, sql string) (*warehouse.Result, error) {
	env, err := g.load()
	if err != nil {
		return nil, err
	}
	wh, err := env.OpenWarehouse(ctx)
	if err != nil {
		return nil, err
	}
	defer wh.Close()
	return wh.Query(ctx, sql)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "revsync",
		Short:         "Sync billing data into your warehouse and compute subscription metrics",
		Long:          "revsync pulls billing data from connectors, normalises it, computes MRR, movements, churn, NRR and cohorts exactly, and writes everything to DuckDB, PostgreSQL or Snowflake.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.PersistentFlags().StringVar(&g.configPath, "config", "revsync.yaml", "config file")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.AddCommand(
		newSyncCmd(g),
		newValidateCmd(g),
		newQueryCmd(g),
		newMetricsCmd(g),
		newGenerateCmd(g),
		newVersionCmd(g),
		plugincli.NewPluginsCommand(func() (host.Options, error) {
			env, err := g.load()
			if err != nil {
				return host.Options{}, err
			}
			return env.PluginOptions(), nil
		}),
	)
	return root
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(g.stdout, "revsync", version)
			return err
		},
	}
}

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the config and list every problem with file, line and a fix",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			env, err := g.load()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.stdout, "%s: OK (%d sources, %s warehouse)\n", env.Config.File, len(env.Config.Sources), env.Config.Warehouse.Type)
			return err
		},
	}
}
