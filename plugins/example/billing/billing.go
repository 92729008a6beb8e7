// Package billing is a revsync connector for Ledgerly, a small fictional billing system,
// reading the JSON-lines export Ledgerly writes into a directory (customers.jsonl,
// plans.jsonl, invoices.jsonl with their lines, transactions.jsonl). It turns each line
// into canonical records as text fields; revsync validates them. It only reads files:
// it never writes to the export directory.
package billing

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/sdk"
)

// Settings are the connector's settings: the `config:` block of the source.
type Settings struct {
	// Dir is the export directory; a relative path resolves against the config file.
	Dir string `yaml:"dir"`
}

// Validate checks the settings.
func (s *Settings) Validate() []connectors.Problem {
	if strings.TrimSpace(s.Dir) == "" {
		return []connectors.Problem{{Key: "dir", Message: "is missing: give the directory of the Ledgerly export"}}
	}
	return nil
}

// Connector reads a Ledgerly export.
type Connector struct{}

// New returns the connector.
func New() *Connector { return &Connector{} }

// stream is one export file and what it produces.
type stream struct {
	name     string
	entities []canonical.Entity
	convert  func(line []byte) ([]connectors.Record, time.Time, error)
}

var streams = []stream{
	{"customers", []canonical.Entity{canonical.Customers}, convertCustomer},
	{"plans", []canonical.Entity{canonical.Plans}, convertPlan},
	{"invoices", []canonical.Entity{canonical.Invoices, canonical.InvoiceLines}, convertInvoice},
	{"transactions", []canonical.Entity{canonical.Transactions}, convertTransaction},
}

// Spec describes the connector.
func (c *Connector) Spec() connectors.Spec {
	return connectors.Spec{
		Type:        "ledgerly",
		Description: "Ledgerly JSON-lines export (customers, plans, invoices, transactions)",
		NewSettings: func() any { return &Settings{} },
	}
}

// Check verifies that the export directory exists.
func (c *Connector) Check(_ context.Context, cfg connectors.Config) error {
	dir, err := exportDir(cfg)
	if err != nil {
		return err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return connectors.ConfigError(fmt.Errorf("ledgerly: export directory %s: %w", dir, err))
	}
	if !info.IsDir() {
		return connectors.ConfigError(fmt.Errorf("ledgerly: %s is not a directory", dir))
	}
	return nil
}

// Discover lists the streams; all are incremental on updated_at.
func (c *Connector) Discover(_ context.Context, _ connectors.Config) ([]connectors.Stream, error) {
	var out []connectors.Stream
	for _, s := range streams {
		for _, e := range s.entities {
			out = append(out, connectors.Stream{Name: s.name, Entity: e, Incremental: true})
		}
	}
	return out, nil
}

// Read emits every stream in order. A stream without a cursor is read in full and ends
// with SnapshotComplete for its entities; with a cursor only lines updated at or after
// it are emitted (at-least-once: the line at the cursor is sent again). Each stream ends
// with a checkpoint holding the latest updated_at seen.
func (c *Connector) Read(ctx context.Context, cfg connectors.Config, state connectors.State, emit connectors.Emitter) error {
	if err := c.Check(ctx, cfg); err != nil {
		return err
	}
	dir, _ := exportDir(cfg)
	for _, s := range streams {
		if err := readStream(ctx, cfg.Source, dir, s, state[s.name], emit); err != nil {
			return err
		}
	}
	return nil
}

func exportDir(cfg connectors.Config) (string, error) {
	s, ok := cfg.Settings.(*Settings)
	if !ok || s.Dir == "" {
		return "", connectors.ConfigError(errors.New("ledgerly: config.dir is missing"))
	}
	if filepath.IsAbs(s.Dir) || cfg.BaseDir == "" {
		return s.Dir, nil
	}
	return filepath.Join(cfg.BaseDir, s.Dir), nil
}

func readStream(ctx context.Context, source, dir string, s stream, cursor string, emit connectors.Emitter) error {
	var since time.Time
	if cursor != "" {
		t, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			return connectors.ConfigError(fmt.Errorf("ledgerly: stream %s: saved cursor %q is not a timestamp; run a full sync", s.name, cursor))
		}
		since = t
	}
	file := s.name + ".jsonl"
	f, err := os.Open(filepath.Join(dir, file))
	if errors.Is(err, fs.ErrNotExist) {
		sdk.Logger(ctx).Info("export file absent; stream is empty", "file", file)
		return finishStream(ctx, s, cursor, time.Time{}, emit)
	}
	if err != nil {
		return fmt.Errorf("ledgerly: %w", err)
	}
	defer f.Close()
	var latest time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		recs, updated, err := s.convert(line)
		if err != nil {
			rej := canonical.Rejection{Source: source, Entity: s.entities[0], Reason: fmt.Sprintf("%s line %d: %v", file, n, err), Raw: string(line)}
			if err := emit.Reject(ctx, rej); err != nil {
				return err
			}
			continue
		}
		if !since.IsZero() && updated.Before(since) {
			continue
		}
		latest = later(latest, updated)
		for _, r := range recs {
			r.Origin = fmt.Sprintf("%s line %d", file, n)
			if err := emit.Record(ctx, r); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("ledgerly: reading %s: %w", file, err)
	}
	return finishStream(ctx, s, cursor, latest, emit)
}

func finishStream(ctx context.Context, s stream, cursor string, latest time.Time, emit connectors.Emitter) error {
	if cursor == "" {
		for _, e := range s.entities {
			if err := emit.SnapshotComplete(ctx, e); err != nil {
				return err
			}
		}
	}
	if !latest.IsZero() {
		return emit.Checkpoint(ctx, s.name, latest.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// decode parses one JSON line, keeping numbers exact.
func decode(line []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	return nil
}

func updatedAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("updated_at is missing")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("updated_at %q is not an RFC 3339 timestamp", s)
	}
	return t, nil
}

// cents turns Ledgerly's integer minor units into a decimal amount in currency.
func cents(n *json.Number, currency string) (string, error) {
	if n == nil {
		return "", nil
	}
	minor, err := strconv.ParseInt(string(*n), 10, 64)
	if err != nil {
		return "", fmt.Errorf("amount %q is not a whole number of cents", string(*n))
	}
	return canonical.FormatMinor(minor, currency), nil
}

// attributes converts Ledgerly metadata into typed attribute values: integers as
// int64, other numbers as exact decimals, strings and booleans as they are.
func attributes(meta map[string]any) (canonical.Attributes, error) {
	if len(meta) == 0 {
		return nil, nil
	}
	attrs := make(canonical.Attributes, len(meta))
	for k, v := range meta {
		switch x := v.(type) {
		case string, bool, nil:
			attrs[k] = x
		case json.Number:
			if i, err := x.Int64(); err == nil {
				attrs[k] = i
			} else if d, err := decimal.NewFromString(string(x)); err == nil {
				attrs[k] = d
			} else {
				return nil, fmt.Errorf("metadata %q: %q is not a number", k, string(x))
			}
		default:
			return nil, fmt.Errorf("metadata %q is not a scalar (string, number or boolean)", k)
		}
	}
	return attrs, nil
}
