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

// recordRow returns the neutral values of rec in the column order of its canonical table.
func recordRow(rec canonical.Record, runID string, syncedAt time.Time) ([]any, error) {
	h := rec.Header()
	vals := canonical.Values(rec)
	row := make([]any, 0, len(vals)+5)
	row = append(row, h.Source, h.ExternalID)
	row = append(row, vals...)
	attrs, err := EncodeAttributes(h.Attributes)
	if err != nil {
		return nil, fmt.Errorf("%s '%s': attributes: %w", rec.Entity(), h.ExternalID, err)
	}
	if attrs == nil {
		row = append(row, nil)
	} else {
		row = append(row, attrs)
	}
	return append(row, syncedAt, runID), nil
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
