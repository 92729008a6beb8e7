// Package connectors defines the contract every source connector implements, built-in or
// plugin (ARCHITECTURE.md: Spec / Check / Discover / Read), the records connectors emit,
// typed connector errors, and the Registry that maps a source `type` to its connector.
// Connectors only produce records: they never touch the warehouse.
package connectors

import (
	"context"

	"github.com/revsync/revsync/canonical"
)

// Record is one entity value as a connector delivers it: text fields in the formats of
// SPEC §1 (an absent or empty value is missing), plus custom attributes. The runner
// parses and validates it with canonical.Parse, so every connector shares one set of
// rules and rejection reasons.
type Record struct {
	Entity     canonical.Entity
	Fields     map[string]string
	Attributes canonical.Attributes
	// Raw is the input as read (a CSV line, a JSON object), stored with a rejection.
	// When empty the runner stores Fields encoded as JSON.
	Raw string
	// Origin locates the record for people ("invoices.csv line 12"); optional.
	Origin string
	// Deleted reports an explicit deletion: only Fields["external_id"] is meaningful.
	Deleted bool
}

// Config is what a connector receives for one configured source.
type Config struct {
	// Source is the source's unique name: the `source` column of every record.
	Source string
	// Settings are the source's own settings: the value returned by Spec.NewSettings,
	// decoded strictly from the source's YAML block, or a map[string]any when the
	// connector has no typed settings (plugins).
	Settings any
	// BaseDir is the directory of the config file; relative paths resolve against it.
	BaseDir string
}

// State holds a connector's opaque cursors, one per stream, as last committed.
type State map[string]string

// Spec describes a connector type.
type Spec struct {
	// Type is the value of `type:` in a source block (csv, stripe, ...).
	Type string
	// Description is one line for people.
	Description string
	// NewSettings returns a pointer to a fresh typed settings struct (yaml tags) that the
	// config loader decodes the source block into, strictly, with line numbers. The keys
	// `name` and `type` are handled by the loader and must not appear in it. When the
	// struct implements Validator its Validate method runs at config load.
	NewSettings func() any
}

// Validator is implemented by settings structs that check themselves; each returned
// problem names the key and a fix.
type Validator interface {
	Validate() []Problem
}

// Problem is one invalid setting: the YAML key path under the source block and a sentence.
type Problem struct {
	Key     string
	Message string
}

// Stream is one readable stream of a source, as Discover reports it.
type Stream struct {
	Name        string
	Entity      canonical.Entity
	Incremental bool
}

// Emitter receives what a connector reads. Every method may block (back-pressure) and
// returns an error when the run is cancelled; the connector must then stop.
type Emitter interface {
	// Record delivers one record. Delivery is at-least-once: the warehouse upserts on
	// (source, external_id), so re-emitting a record is harmless.
	Record(ctx context.Context, r Record) error
	// Reject delivers input that could not even be read as a record (a CSV row with the
	// wrong column count, broken quoting) with a reason naming the file and line.
	Reject(ctx context.Context, r canonical.Rejection) error
	// Checkpoint records that every record of stream emitted so far is covered by cursor.
	// The runner commits the cursor in the same transaction as those records.
	Checkpoint(ctx context.Context, stream, cursor string) error
	// SnapshotComplete declares that every record of entity in this source has been
	// emitted in this run: after a successful run the runner deletes the records of that
	// entity and source that were not (SPEC §2).
	SnapshotComplete(ctx context.Context, entity canonical.Entity) error
}

// Connector reads one kind of billing system into canonical records.
type Connector interface {
	// Spec describes the connector and its settings.
	Spec() Spec
	// Check verifies that the source is reachable and the settings work.
	Check(ctx context.Context, cfg Config) error
	// Discover lists the streams the source offers.
	Discover(ctx context.Context, cfg Config) ([]Stream, error)
	// Read emits the source's records, starting after the cursors in state unless the
	// state is empty (a full read). It returns when everything is emitted or on error.
	Read(ctx context.Context, cfg Config, state State, emit Emitter) error
}
