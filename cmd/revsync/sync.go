package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/sync/runner"
)

func newSyncCmd(g *globals) *cobra.Command {
	var (
		sources []string
		full    bool
		asOf    string
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Run one sync: read the sources, write the warehouse, compute and publish metrics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := g.load()
			if err != nil {
				return err
			}
			if asOf == "" {
				asOf = env.Config.Metrics.AsOf
			}
			day := canonical.DateOf(time.Now())
			if asOf != "" {
				if day, err = canonical.ParseDate(asOf); err != nil {
					return usageError("--as-of: %v", err)
				}
			}
			wh, err := env.OpenWarehouse(cmd.Context())
			if err != nil {
				return err
			}
			defer wh.Close()
			sum, err := runner.Run(cmd.Context(), runner.Options{
				Config: env.Config, Registry: env.Registry, Warehouse: wh,
				Sources: sources, Full: full, AsOf: day, Trigger: "cli", Logger: env.Logger,
			})
			printSummary(g, sum, err)
			if errors.Is(err, runner.ErrSkipped) {
				return nil
			}
			return err
		},
	}
	cmd.Flags().StringSliceVar(&sources, "source", nil, "sync only this source (repeatable)")
	cmd.Flags().BoolVar(&full, "full", false, "ignore saved cursors and read everything")
	cmd.Flags().StringVar(&asOf, "as-of", "", "compute metrics up to this date (YYYY-MM-DD; default: metrics.as_of, else today UTC)")
	return cmd
}

// printSummary prints the one-line outcome of a run on stdout.
func printSummary(g *globals, sum runner.Summary, err error) {
	read, written, rejected, deleted := sum.Totals()
	status := "succeeded"
	if err != nil {
		status = "failed"
	}
	line := fmt.Sprintf("sync %s %s: read %d, written %d, rejected %d, deleted %d", sum.RunID, status, read, written, rejected, deleted)
	if m := sum.Metrics; m != nil {
		line += fmt.Sprintf("; MRR at %s: %s %s (%d customers)", m.AsOf, m.MRR, m.Currency, m.Customers)
	}
	if rejected > 0 {
		line += "; see the rejected_records table for reasons"
	}
	fmt.Fprintln(g.stdout, line)
}
