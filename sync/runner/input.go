package runner

import (
	"cmp"
	"context"
	"fmt"
	"sync"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/metrics"
	"github.com/revsync/revsync/warehouse"
)

// streamBatch is how many records a stream hands to the merge at once, and
// streamBuffer how many such batches it may read ahead: they bound the memory of a
// stream while letting reading overlap computing.
const (
	streamBatch  = 512
	streamBuffer = 4
)

// WarehouseInput is a metrics.Input that reads a warehouse: reference data (plans,
// products, fx rates, costs) in full, then one customer at a time, merging the
// owner-ordered streams (warehouse.OwnerScanner) of every owned entity, so memory is
// bounded by the largest customer rather than by the data set. The streams are read
// concurrently, each by its own goroutine, while the engine computes.
type WarehouseInput struct {
	wh      warehouse.Warehouse
	scanner warehouse.OwnerScanner
}

var _ metrics.Input = (*WarehouseInput)(nil)

// NewWarehouseInput returns the streaming input of wh, or false when wh cannot read
// records by owner (it does not implement warehouse.OwnerScanner).
func NewWarehouseInput(wh warehouse.Warehouse) (*WarehouseInput, bool) {
	scanner, ok := wh.(warehouse.OwnerScanner)
	if !ok {
		return nil, false
	}
	return &WarehouseInput{wh: wh, scanner: scanner}, true
}

// Reference implements metrics.Input: it reads every plan, product, fx rate and cost.
func (in *WarehouseInput) Reference(ctx context.Context) (*metrics.Reference, error) {
	ref := &metrics.Reference{Plans: map[canonical.Key]*canonical.Plan{}, Products: map[canonical.Key]*canonical.Product{}}
	for _, e := range []canonical.Entity{canonical.Products, canonical.Plans, canonical.FXRates, canonical.Costs} {
		err := in.wh.Scan(ctx, e, func(r canonical.Record) error {
			switch x := r.(type) {
			case *canonical.Product:
				ref.Products[x.Key()] = x
			case *canonical.Plan:
				ref.Plans[x.Key()] = x
			case *canonical.FXRate:
				ref.FXRates = append(ref.FXRates, x) // Scan's key order, as Dataset sorts them
			case *canonical.Cost:
				ref.Costs = append(ref.Costs, x)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s for the metrics: %w", e, err)
		}
	}
	return ref, nil
}

// owned is one record with the customer it belongs to.
type owned struct {
	owner canonical.Key
	rec   canonical.Record
}

// stream is one entity's owner-ordered records, read ahead by a goroutine.
type stream struct {
	entity canonical.Entity
	ch     chan []owned
	err    error // set before ch is closed
	batch  []owned
	pos    int
}

// head returns the stream's next record, receiving the next batch when needed; false
// at the end of the stream or on its error.
func (s *stream) head() (owned, bool, error) {
	for s.pos >= len(s.batch) {
		b, ok := <-s.ch
		if !ok {
			return owned{}, false, s.err
		}
		s.batch, s.pos = b, 0
	}
	return s.batch[s.pos], true, nil
}

// Customers implements metrics.Input: it calls fn with one fresh CustomerData per
// customer, in (source, external_id) order, holding only that customer's records (plus
// the streams' small read-ahead).
func (in *WarehouseInput) Customers(ctx context.Context, fn func(*metrics.CustomerData) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	streams := make([]*stream, len(warehouse.OwnedEntities))
	for i, e := range warehouse.OwnedEntities {
		s := &stream{entity: e, ch: make(chan []owned, streamBuffer)}
		streams[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(s.ch)
			batch := make([]owned, 0, streamBatch)
			send := func() error {
				select {
				case s.ch <- batch:
					batch = make([]owned, 0, streamBatch)
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			err := in.scanner.ScanByOwner(ctx, e, func(owner canonical.Key, r canonical.Record) error {
				batch = append(batch, owned{owner, r})
				if len(batch) == streamBatch {
					return send()
				}
				return nil
			})
			if err == nil && len(batch) > 0 {
				err = send()
			}
			if err != nil {
				s.err = fmt.Errorf("reading %s for the metrics: %w", e, err)
			}
		}()
	}
	var prev canonical.Key
	for n := 0; ; n++ {
		// The next customer is the smallest owner at the head of a stream.
		var next canonical.Key
		var from *stream
		for _, s := range streams {
			h, ok, err := s.head()
			if err != nil {
				return err
			}
			if ok && (from == nil || compareKeys(h.owner, next) < 0) {
				next, from = h.owner, s
			}
		}
		if from == nil {
			return ctx.Err()
		}
		if n > 0 && compareKeys(next, prev) <= 0 {
			// Every record of prev was consumed: a stream went back in order.
			return fmt.Errorf("reading %s for the metrics: the warehouse returned customer %q of source %q after %q of source %q; records must come in byte order of (source, customer external id)",
				from.entity, next.ExternalID, next.Source, prev.ExternalID, prev.Source)
		}
		prev = next
		cd := &metrics.CustomerData{Key: next}
		for _, s := range streams {
			for {
				h, ok, err := s.head()
				if err != nil {
					return err
				}
				if !ok || h.owner != next {
					break
				}
				cd.Add(h.rec)
				s.batch[s.pos] = owned{} // let the record go with its customer
				s.pos++
			}
		}
		if err := fn(cd); err != nil {
			return err
		}
	}
}

// compareKeys orders keys by source, then external id, as bytes (the engine's order).
func compareKeys(a, b canonical.Key) int {
	if c := cmp.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.ExternalID, b.ExternalID)
}

// datasetInput loads every canonical record of wh into a metrics.Dataset: the path for
// warehouses that cannot read by owner. Memory grows with the data set.
func datasetInput(ctx context.Context, wh warehouse.Warehouse) (*metrics.Dataset, error) {
	ds := metrics.NewDataset()
	for _, e := range canonical.Entities {
		err := wh.Scan(ctx, e, func(r canonical.Record) error {
			ds.Add(r)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s for the metrics: %w", e, err)
		}
	}
	return ds, nil
}
