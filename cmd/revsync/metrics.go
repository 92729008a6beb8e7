package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/internal/render"
	"github.com/revsync/revsync/warehouse"
)

// metricsColumns are the columns `revsync metrics` shows, with their headings; rates are
// printed as percentages.
var metricsColumns = []struct{ column, heading string }{
	{"mrr", "mrr"}, {"net_new_mrr", "net_new"}, {"new_business_mrr", "new"}, {"expansion_mrr", "expansion"},
	{"contraction_mrr", "contraction"}, {"churn_mrr", "churn"}, {"reactivation_mrr", "reactivation"},
	{"fx_adjustment_mrr", "fx"}, {"customers", "customers"}, {"customer_churn_rate", "cust_churn"},
	{"gross_mrr_churn_rate", "gross_mrr_churn"}, {"nrr", "nrr"},
}

func newMetricsCmd(g *globals) *cobra.Command {
	var period, dimension, from, to string
	cmd := &cobra.Command{
		Use:   "metrics [--period month|day] [--dimension D] [--from DATE] [--to DATE]",
		Short: "Print the published metrics table for people",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sql, err := metricsSQL(period, dimension, from, to)
			if err != nil {
				return err
			}
			res, err := g.query(cmd.Context(), sql)
			if err != nil {
				return err
			}
			if len(res.Rows) == 0 {
				_, err = fmt.Fprintln(g.stdout, "no metrics published yet for this selection: run `revsync sync` first (or check --dimension)")
				return err
			}
			humanise(res)
			return render.Table(g.stdout, res)
		},
	}
	cmd.Flags().StringVar(&period, "period", "month", "month or day")
	cmd.Flags().StringVar(&dimension, "dimension", "", "break down by this configured dimension (e.g. country, plan)")
	cmd.Flags().StringVar(&from, "from", "", "first period (YYYY-MM-DD)")
	cmd.Flags().StringVar(&to, "to", "", "last period (YYYY-MM-DD)")
	return cmd
}

// metricsSQL builds the query behind `revsync metrics`. Every user value is validated or
// quoted as a literal.
func metricsSQL(period, dimension, from, to string) (string, error) {
	table := map[string]string{"month": warehouse.MetricsMonthly.Name, "day": warehouse.MetricsDaily.Name}[period]
	if table == "" {
		return "", usageError("--period %q is not valid (use month or day)", period)
	}
	cols := []string{"period"}
	where := []string{"dimension = 'all'"}
	if dimension != "" {
		cols = append(cols, "segment")
		where = []string{"dimension = " + literal(dimension)}
	}
	for _, b := range []struct{ flag, value, op string }{{"--from", from, ">="}, {"--to", to, "<="}} {
		if b.value == "" {
			continue
		}
		d, err := canonical.ParseDate(b.value)
		if err != nil {
			return "", usageError("%s: %v", b.flag, err)
		}
		where = append(where, fmt.Sprintf("period %s DATE '%s'", b.op, d))
	}
	for _, c := range metricsColumns {
		cols = append(cols, c.column+" AS "+c.heading)
	}
	cols = append(cols, "currency")
	order := "period"
	if dimension != "" {
		order = "segment, period"
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s", strings.Join(cols, ", "), table, strings.Join(where, " AND "), order), nil
}

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var hundred = decimal.NewFromInt(100)

// humanise rewrites the rate columns of res as percentages with two decimals and the
// money columns with their currency's number of decimals.
func humanise(res *warehouse.Result) {
	currency := slices.Index(res.Columns, "currency")
	for i, name := range res.Columns {
		rate := name == "cust_churn" || name == "gross_mrr_churn" || name == "nrr"
		if !rate && (!res.Numeric[i] || name == "customers") {
			continue
		}
		for _, row := range res.Rows {
			if row[i] == nil {
				continue
			}
			d, err := decimal.NewFromString(*row[i])
			if err != nil {
				continue
			}
			var s string
			if rate {
				s = d.Mul(hundred).StringFixed(2) + "%"
			} else {
				s = d.StringFixed(canonical.Exponent(*row[currency]))
			}
			row[i] = &s
		}
	}
}
