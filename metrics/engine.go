package metrics

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/revsync/revsync/canonical"
)

// engine is one Compute run's immutable configuration.
type engine struct {
	s         Settings
	ref       *Reference
	fx        *fxTable
	dims      []dimension
	subDims   []int // indices into dims of subscription-level dimensions
	custDims  []int // indices into dims of customer-level dimensions
	asOf      canonical.Date
	horizon   canonical.Date // as_of + 1: open spans end here
	lastMonth int32
}

func newEngine(s Settings, ref *Reference) (*engine, error) {
	if s.ReportingCurrency == "" {
		s.ReportingCurrency = "USD"
	}
	cur, err := canonical.NormalizeCurrency(s.ReportingCurrency)
	if err != nil {
		return nil, fmt.Errorf("metrics: reporting_currency: %w", err)
	}
	s.ReportingCurrency = cur
	switch s.SubscriptionEnd {
	case "":
		s.SubscriptionEnd = EndServicePeriod
	case EndServicePeriod, EndCancellation:
	default:
		return nil, fmt.Errorf("metrics: subscription_end %q is not one of service_period, cancellation", s.SubscriptionEnd)
	}
	if s.AsOf == 0 {
		return nil, errors.New("metrics: as_of is not set (the runner passes today's UTC date by default)")
	}
	dims, err := parseDimensions(s.Dimensions)
	if err != nil {
		return nil, err
	}
	if ref == nil {
		ref = &Reference{}
	}
	if ref.Plans == nil {
		ref.Plans = map[canonical.Key]*canonical.Plan{}
	}
	e := &engine{s: s, ref: ref, fx: newFXTable(cur, ref.FXRates), dims: dims, asOf: s.AsOf,
		horizon: s.AsOf + 1, lastMonth: monthIndex(s.AsOf)}
	for i, d := range dims {
		if d.customerLevel() {
			e.custDims = append(e.custDims, i)
		} else {
			e.subDims = append(e.subDims, i)
		}
	}
	return e, nil
}

// Compute derives MRR, movements, metrics, dimension breakdowns and cohorts from in and
// writes every result row to out (SPEC §3–§5). It fails, writing no metric rows, when a
// needed exchange rate is missing or an amount overflows; movement rows already written
// must then be discarded by the caller (the runner publishes nothing on error).
func Compute(ctx context.Context, s Settings, in Input, out Sink) (Summary, error) {
	ref, err := in.Reference(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("metrics: reading reference data: %w", err)
	}
	e, err := newEngine(s, ref)
	if err != nil {
		return Summary{}, err
	}
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sum := Summary{Currency: e.s.ReportingCurrency}
	aggs, err := e.run(ctx, workers, in, out, &sum)
	if err != nil {
		return sum, err
	}
	agg := aggs[0]
	for _, b := range aggs[1:] {
		agg.merge(b)
	}
	if err := e.output(agg, out, &sum); err != nil {
		return sum, err
	}
	return sum, nil
}

type job struct {
	seq int
	cd  *CustomerData
}

type done struct {
	seq int
	res custResult
	err error
}

// run processes customers on workers goroutines and emits their rows in input order.
func (e *engine) run(ctx context.Context, workers int, in Input, out Sink, sum *Summary) ([]*aggregator, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job, 2*workers)
	results := make(chan done, 2*workers)
	inflight := make(chan struct{}, 8*workers)
	aggs := make([]*aggregator, workers)
	var wg sync.WaitGroup
	for i := range aggs {
		aggs[i] = newAggregator(e)
		w := &worker{e: e, agg: aggs[i]}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					results <- done{seq: j.seq, err: ctx.Err()}
					continue
				}
				r, err := w.process(j.cd)
				if err != nil {
					err = fmt.Errorf("customer '%s' of source '%s': %w", j.cd.Key.ExternalID, j.cd.Key.Source, err)
				}
				results <- done{seq: j.seq, res: r, err: err}
			}
		}()
	}
	var prodErr error
	go func() {
		seq := 0
		prodErr = in.Customers(ctx, func(cd *CustomerData) error {
			select {
			case inflight <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			jobs <- job{seq: seq, cd: cd}
			seq++
			return nil
		})
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var firstErr error
	pending := map[int]done{}
	next := 0
	for d := range results {
		pending[d.seq] = d
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-inflight
			if firstErr == nil && p.err != nil {
				firstErr = p.err
				cancel()
			}
			if firstErr != nil {
				continue
			}
			if err := e.emit(p.res, out, sum); err != nil {
				firstErr = err
				cancel()
			}
			p.res.release()
		}
	}
	sum.CustomersProcessed = next
	if firstErr != nil {
		return nil, firstErr
	}
	if prodErr != nil {
		return nil, fmt.Errorf("metrics: reading customers: %w", prodErr)
	}
	return aggs, nil
}

func (e *engine) emit(r custResult, out Sink, sum *Summary) error {
	for _, m := range r.movements {
		if err := out.Movement(m); err != nil {
			return fmt.Errorf("metrics: writing movement: %w", err)
		}
	}
	for _, c := range r.mrrRows {
		if err := out.CustomerMRR(c); err != nil {
			return fmt.Errorf("metrics: writing customer_mrr: %w", err)
		}
	}
	sum.Movements += len(r.movements)
	sum.CustomerMRRRows += len(r.mrrRows)
	return nil
}
