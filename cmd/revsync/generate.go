package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/revsync/revsync/generate"
)

func newGenerateCmd(g *globals) *cobra.Command {
	var (
		opts generate.Options
		out  string
	)
	cmd := &cobra.Command{
		Use:   "generate --customers N [--months M] [--seed S] --out DIR",
		Short: "Write a realistic synthetic CSV source (demo and benchmark data)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Customers < 1 {
				return usageError("--customers must be 1 or more")
			}
			if out == "" {
				return usageError("--out is required: the folder to write the CSV files into")
			}
			stats, err := generate.Write(cmd.Context(), out, opts)
			if err != nil {
				return err
			}
			var rows int64
			for _, n := range stats.Rows {
				rows += n
			}
			_, err = fmt.Fprintf(g.stdout, "generated %d customers into %s: %d rows, %.1f MB, history %s to %s\n",
				opts.Customers, out, rows, float64(stats.Bytes)/1e6, stats.Start, stats.End)
			return err
		},
	}
	cmd.Flags().IntVar(&opts.Customers, "customers", 0, "number of customers")
	cmd.Flags().IntVar(&opts.Months, "months", 24, "months of history")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "random seed (same seed, same files)")
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	return cmd
}
