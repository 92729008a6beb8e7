package runner

import (
	"context"
	"sync"
)

// txWriter applies a source's warehouse operations in order on its own goroutine, so
// that reading and validating the next batch (connector goroutine) overlaps with writing
// the previous one. After the first failed operation the rest are skipped and every
// later submit reports that error.
type txWriter struct {
	ops  chan func(context.Context) error
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// startWriter starts the writer goroutine; at most depth operations wait in line.
func startWriter(ctx context.Context, depth int) *txWriter {
	w := &txWriter{ops: make(chan func(context.Context) error, depth), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for op := range w.ops {
			if w.failed() != nil {
				continue
			}
			if err := op(ctx); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *txWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// submit queues op; it blocks while the queue is full (back-pressure on the connector)
// and returns the writer's error once an operation has failed.
func (w *txWriter) submit(ctx context.Context, op func(context.Context) error) error {
	if err := w.failed(); err != nil {
		return err
	}
	select {
	case w.ops <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait runs every queued operation, stops the goroutine and returns the first error.
func (w *txWriter) wait() error {
	close(w.ops)
	<-w.done
	return w.failed()
}
