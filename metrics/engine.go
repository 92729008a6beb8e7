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
	agg.cashFromSegments()
	if err := e.output(agg, out, &sum); err != nil {
		return sum, err
	}
	return sum, nil
}

// Customers travel between the reader, the workers and the writer in batches: one
// channel handoff per batch instead of per customer keeps the cores computing.
const (
	batchCustomers = 32   // customers per batch at most
	batchLines     = 2048 // invoice lines per batch at most (bounds memory)
)

// batch is a run of consecutive customers and, once processed, their rows in order.
type batch struct {
	seq       int
	cds       []*CustomerData
	movements []Movement
	mrrRows   []CustomerMRR
	bounds    []rowBounds // per customer: where its rows end
	err       error       // of the first failing customer; rows hold those before it
}

// rowBounds marks the end of one customer's movements and customer_mrr rows.
type rowBounds struct{ movs, mrr int }

// paddedWorker keeps the workers' hot fields on cache lines of their own.
type paddedWorker struct {
	_ [128]byte
	worker
	_ [128]byte
}

// run processes customers on workers goroutines and emits their rows in input order.
func (e *engine) run(ctx context.Context, workers int, in Input, out Sink, sum *Summary) ([]*aggregator, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *batch, workers)
	results := make(chan *batch, 2*workers+2)
	free := make(chan *batch, 2*workers+2) // bounds the batches in flight
	for i := 0; i < cap(free); i++ {
		free <- &batch{}
	}
	aggs := make([]*aggregator, workers)
	var wg sync.WaitGroup
	for i := range aggs {
		aggs[i] = newAggregator(e)
		pw := &paddedWorker{worker: worker{e: e, agg: aggs[i]}}
		w := &pw.worker
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				if err := ctx.Err(); err != nil {
					b.err = err
					results <- b
					continue
				}
				for _, cd := range b.cds {
					if err := w.process(cd, b); err != nil {
						b.err = fmt.Errorf("customer '%s' of source '%s': %w", cd.Key.ExternalID, cd.Key.Source, err)
						break
					}
				}
				results <- b
			}
		}()
	}
	var prodErr error
	go func() {
		seq := 0
		var cur *batch
		lines := 0
		send := func() {
			cur.seq = seq
			seq++
			jobs <- cur
			cur, lines = nil, 0
		}
		prodErr = in.Customers(ctx, func(cd *CustomerData) error {
			if cur == nil {
				select {
				case cur = <-free:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			cur.cds = append(cur.cds, cd)
			lines += len(cd.Lines)
			if len(cur.cds) >= batchCustomers || lines >= batchLines {
				send()
			}
			return nil
		})
		if cur != nil && len(cur.cds) > 0 {
			send()
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var firstErr error
	pending := map[int]*batch{}
	next, customers := 0, 0
	for d := range results {
		pending[d.seq] = d
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			customers += len(p.cds)
			if firstErr == nil {
				if err := e.emit(p, out, sum); err != nil {
					firstErr = err
					cancel()
				} else if p.err != nil {
					firstErr = p.err
					cancel()
				}
			}
			clear(p.cds)
			p.cds, p.movements, p.mrrRows, p.bounds, p.err = p.cds[:0], p.movements[:0], p.mrrRows[:0], p.bounds[:0], nil
			free <- p
		}
	}
	sum.CustomersProcessed = customers
	if firstErr != nil {
		return nil, firstErr
	}
	if prodErr != nil {
		return nil, fmt.Errorf("metrics: reading customers: %w", prodErr)
	}
	return aggs, nil
}

// emit writes a batch's rows customer by customer: each customer's movements, then
// its customer_mrr rows.
func (e *engine) emit(b *batch, out Sink, sum *Summary) error {
	m0, c0 := 0, 0
	for _, bd := range b.bounds {
		for i := m0; i < bd.movs; i++ {
			if err := out.Movement(b.movements[i]); err != nil {
				return fmt.Errorf("metrics: writing movement: %w", err)
			}
		}
		for i := c0; i < bd.mrr; i++ {
			if err := out.CustomerMRR(b.mrrRows[i]); err != nil {
				return fmt.Errorf("metrics: writing customer_mrr: %w", err)
			}
		}
		m0, c0 = bd.movs, bd.mrr
	}
	sum.Movements += len(b.movements)
	sum.CustomerMRRRows += len(b.mrrRows)
	return nil
}
