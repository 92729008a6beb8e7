package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

// rowBuilder turns records into rows of neutral values in the column order of their
// canonical table. It boxes the values shared by every row (run, time, source) once.
type rowBuilder struct {
	runID, syncedAt any
	source          string
	boxedSource     any
}

func newRowBuilder(runID string, syncedAt time.Time) *rowBuilder {
	return &rowBuilder{runID: runID, syncedAt: syncedAt}
}

// row returns rec's neutral values; the row is one allocation plus the boxed fields.
func (b *rowBuilder) row(rec canonical.Record) ([]any, error) {
	h := rec.Header()
	if b.boxedSource == nil || h.Source != b.source {
		b.source, b.boxedSource = h.Source, h.Source
	}
	row := make([]any, 0, len(canonical.SchemaOf(rec.Entity()).Fields)+5)
	row = append(row, b.boxedSource, h.ExternalID)
	row = canonical.AppendValues(row, rec)
	attrs, err := EncodeAttributes(h.Attributes)
	if err != nil {
		return nil, fmt.Errorf("%s '%s': attributes: %w", rec.Entity(), h.ExternalID, err)
	}
	if attrs == nil {
		row = append(row, nil)
	} else {
		row = append(row, attrs)
	}
	return append(row, b.syncedAt, b.runID), nil
}

// parallelRows is the batch size from which buildRows splits the work in two: the
// database is idle while rows are built, so the second core is free.
const parallelRows = 8192

// buildRows returns the rows of recs (see rowBuilder), building the two halves of a
// large batch concurrently. The first error in record order wins.
func buildRows(recs []canonical.Record, runID string, syncedAt time.Time) ([][]any, error) {
	rows := make([][]any, len(recs))
	build := func(from, to int) error {
		rb := newRowBuilder(runID, syncedAt)
		for i := from; i < to; i++ {
			row, err := rb.row(recs[i])
			if err != nil {
				return err
			}
			rows[i] = row
		}
		return nil
	}
	if len(recs) < parallelRows {
		return rows, build(0, len(recs))
	}
	half := len(recs) / 2
	second := make(chan error, 1)
	go func() { second <- build(half, len(recs)) }()
	err := build(0, half)
	if err2 := <-second; err == nil {
		err = err2
	}
	return rows, err
}

// EncodeAttributes renders attributes as a JSON object with sorted keys; numbers
// (int*, uint*, float*, decimal.Decimal, json.Number) become JSON numbers written
// exactly, time.Time an RFC 3339 string. No attributes give nil (SQL NULL).
func EncodeAttributes(a canonical.Attributes) (json.RawMessage, error) {
	if len(a) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(a))
	for k, v := range a {
		switch x := v.(type) {
		case decimal.Decimal:
			out[k] = json.Number(x.String())
		case *decimal.Decimal:
			if x == nil {
				out[k] = nil
			} else {
				out[k] = json.Number(x.String())
			}
		case time.Time:
			out[k] = x.UTC().Format(time.RFC3339Nano)
		case canonical.Date:
			out[k] = x.String()
		default:
			out[k] = v
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("attributes are not JSON-encodable: %w", err)
	}
	return b, nil
}

// DecodeAttributes parses what EncodeAttributes wrote: strings and booleans come back
// as such, whole numbers that fit as int64, other numbers as decimal.Decimal (exact),
// and timestamps as their RFC 3339 string. Empty text or JSON null gives nil.
func DecodeAttributes(text string) (canonical.Attributes, error) {
	if text == "" || text == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("attributes %q are not a JSON object: %w", text, err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	for k, v := range m {
		n, ok := v.(json.Number)
		if !ok {
			continue
		}
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			m[k] = i
		} else if d, err := decimal.NewFromString(string(n)); err == nil {
			m[k] = d
		}
	}
	return canonical.Attributes(m), nil
}
