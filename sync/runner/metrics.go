package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/metrics"
	"github.com/revsync/revsync/warehouse"
)

// MetricsSummary is what a run reports about the metrics it published.
type MetricsSummary struct {
	AsOf      canonical.Date
	MRR       string // decimal, in Currency
	Currency  string
	Customers int
	Movements int
}

// publishMetrics computes the metrics over every source's canonical data and publishes
// them atomically; on any error the previously published tables stay as they were. It
// streams the data customer by customer (WarehouseInput) when the warehouse can read by
// owner, and otherwise loads it all into a metrics.Dataset.
func (o *Options) publishMetrics(ctx context.Context) (*MetricsSummary, error) {
	start := o.Now()
	var in metrics.Input
	mode := "streamed by customer"
	if wi, ok := NewWarehouseInput(o.Warehouse); ok {
		in = wi
	} else {
		ds, err := datasetInput(ctx, o.Warehouse)
		if err != nil {
			return nil, err
		}
		in, mode = ds, "loaded in memory"
	}
	m := o.Config.Metrics
	settings := metrics.Settings{
		ReportingCurrency: m.ReportingCurrency,
		SubscriptionEnd:   m.SubscriptionEnd,
		ExcludeUnpaid:     m.ExcludeUnpaid,
		AsOf:              o.AsOf,
		Dimensions:        m.Dimensions,
	}
	var sum metrics.Summary
	err := o.Warehouse.Publish(ctx, func(ctx context.Context, w warehouse.ResultWriter) error {
		var err error
		sum, err = metrics.Compute(ctx, settings, in, resultSink{w})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	o.Logger.Info("metrics published", "as_of", o.AsOf, "customers", sum.CustomersProcessed, "movements", sum.Movements,
		"metric_rows", sum.MetricRows, "input", mode, "took", o.Now().Sub(start).Round(time.Millisecond).String())
	return &MetricsSummary{AsOf: o.AsOf, MRR: canonical.FormatMinor(sum.MRR, sum.Currency), Currency: sum.Currency, Customers: sum.Customers, Movements: sum.Movements}, nil
}

// resultSink writes the engine's rows into the result tables being published.
type resultSink struct{ w warehouse.ResultWriter }

func (s resultSink) Movement(m metrics.Movement) error {
	return s.w.Append(warehouse.MRRMovements.Name, m.Values()...)
}

func (s resultSink) CustomerMRR(c metrics.CustomerMRR) error {
	return s.w.Append(warehouse.CustomerMRR.Name, c.Values()...)
}

func (s resultSink) Metric(r metrics.MetricRow) error {
	table := warehouse.MetricsDaily.Name
	if r.Monthly {
		table = warehouse.MetricsMonthly.Name
	}
	return s.w.Append(table, r.Values(r.Monthly)...)
}

func (s resultSink) Cohort(c metrics.CohortRow) error {
	return s.w.Append(warehouse.Cohorts.Name, c.Values()...)
}
