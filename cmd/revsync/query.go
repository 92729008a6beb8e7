package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/revsync/revsync/internal/render"
)

func newQueryCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   `query [--format table|csv|json] "SQL"`,
		Short: "Run SQL against the warehouse and print the result",
		Long:  "Runs SQL against the configured warehouse. Unqualified table names resolve in the revsync schema. CSV output has a header row and NULL as an empty cell; JSON prints numbers exactly.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(render.Formats, format) {
				return usageError("--format %q is not valid (use one of: %s)", format, strings.Join(render.Formats, ", "))
			}
			res, err := g.query(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return render.Write(g.stdout, format, res)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	return cmd
}
