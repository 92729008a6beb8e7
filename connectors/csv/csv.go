// Package csv is the CSV connector (SPEC §2): it reads a folder holding one
// `<entity>.csv` file per canonical entity and emits each row as a connectors.Record.
// Files are read streaming, so their size is not bounded by memory. It only reads and
// maps columns: field values are validated by canonical.Parse in the runner, and it never
// touches the warehouse.
package csv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

// Type is the `type:` of a CSV source.
const Type = "csv"

// attrPrefix marks a column kept as an attribute named by the rest of the header.
const attrPrefix = "attr_"

func init() { connectors.Register(Connector{}) }

// Connector reads a folder of CSV files, one per entity.
type Connector struct{}

// Settings are a CSV source's settings.
type Settings struct {
	// Path is the folder holding the files, relative to the config file's folder.
	Path string `yaml:"path"`
	// Files holds per-file options, keyed by entity name (invoices, plans, ...).
	Files map[string]FileSettings `yaml:"files"`
}

// FileSettings are the options of one entity's file.
type FileSettings struct {
	// Delimiter is the one-character column separator; default ",".
	Delimiter string `yaml:"delimiter"`
	// Columns renames columns: field name -> header in the file.
	Columns map[string]string `yaml:"columns"`
	// Attributes lists extra headers kept as attributes under their own name.
	Attributes []string `yaml:"attributes"`
}

// Spec describes the CSV connector.
func (Connector) Spec() connectors.Spec {
	return connectors.Spec{
		Type:        Type,
		Description: "reads <entity>.csv files (customers.csv, invoices.csv, ...) from a folder",
		NewSettings: func() any { return &Settings{} },
	}
}

// Validate checks the settings; each problem names the key and a fix.
func (s *Settings) Validate() []connectors.Problem {
	var ps []connectors.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, connectors.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(s.Path) == "" {
		add("path", "path is required: set it to the folder holding the CSV files, like path: ./data")
	}
	for _, name := range sortedKeys(s.Files) {
		fsOpts := s.Files[name]
		key := "files." + name
		schema := canonical.SchemaOf(canonical.Entity(name))
		if schema == nil {
			add(key, "%q is not an entity: use one of %s", name, entityNames())
			continue
		}
		if fsOpts.Delimiter != "" {
			r, n := utf8.DecodeRuneInString(fsOpts.Delimiter)
			switch {
			case utf8.RuneCountInString(fsOpts.Delimiter) != 1 || r == utf8.RuneError && n <= 1:
				add(key+".delimiter", "delimiter %q must be exactly one character, like \";\" or \"\\t\"", fsOpts.Delimiter)
			case r == '"' || r == '\r' || r == '\n':
				add(key+".delimiter", "delimiter %q cannot be a quote or a line break: use \",\", \";\", \"|\" or \"\\t\"", fsOpts.Delimiter)
			}
		}
		fields := schema.FieldNames()
		headers := map[string]string{}
		for _, field := range sortedKeys(fsOpts.Columns) {
			header := strings.TrimSpace(fsOpts.Columns[field])
			ckey := key + ".columns." + field
			if !slices.Contains(fields, field) {
				add(ckey, "%q is not a field of %s: the keys of columns are field names (%s), the values the headers in the file", field, name, strings.Join(fields, ", "))
				continue
			}
			if header == "" {
				add(ckey, "the header for %s is empty: give the column's header in %s.csv, or remove the entry", field, name)
				continue
			}
			if other, dup := headers[header]; dup {
				add(ckey, "header %q is already used for field %s: each header maps to one field", header, other)
				continue
			}
			headers[header] = field
		}
		for i, a := range fsOpts.Attributes {
			akey := fmt.Sprintf("%s.attributes[%d]", key, i)
			a = strings.TrimSpace(a)
			if a == "" {
				add(akey, "an attribute column name is empty: give the header of the column to keep")
				continue
			}
			if f, ok := headers[a]; ok {
				add(akey, "column %q is already mapped to field %s: remove it from attributes", a, f)
			}
		}
	}
	return ps
}

// Check verifies that the folder exists and that the header of every entity file in it
// maps onto the entity's fields, so that a misnamed column shows before a sync.
func (Connector) Check(ctx context.Context, cfg connectors.Config) error {
	s, dir, err := folder(cfg)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range canonical.Entities {
		path := filepath.Join(dir, string(e)+".csv")
		ok, err := fileExists(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if err := checkHeader(path, e, s.Files[string(e)]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return connectors.ConfigError(err)
	}
	return ctx.Err()
}

func checkHeader(path string, e canonical.Entity, opts FileSettings) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("csv: open %s: %w", path, err)
	}
	defer f.Close()
	_, err = readHeader(newScanner(f, delimiter(opts)), filepath.Base(path), e, opts)
	return err
}

// folder returns the settings and the folder they name, after checking that it is one.
func folder(cfg connectors.Config) (*Settings, string, error) {
	s, err := settingsOf(cfg)
	if err != nil {
		return nil, "", err
	}
	dir := resolve(cfg.BaseDir, s.Path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", connectors.ConfigError(fmt.Errorf("csv: source %q: folder %s does not exist (check path:)", cfg.Source, dir))
	case err != nil:
		return nil, "", connectors.ConfigError(fmt.Errorf("csv: source %q: folder %s: %w", cfg.Source, dir, err))
	case !info.IsDir():
		return nil, "", connectors.ConfigError(fmt.Errorf("csv: source %q: %s is a file, not a folder: path: names the folder holding <entity>.csv files", cfg.Source, dir))
	}
	return s, dir, nil
}

// Discover lists one stream per entity file present in the folder.
func (Connector) Discover(_ context.Context, cfg connectors.Config) ([]connectors.Stream, error) {
	_, dir, err := folder(cfg)
	if err != nil {
		return nil, err
	}
	var streams []connectors.Stream
	for _, e := range canonical.Entities {
		if ok, err := fileExists(filepath.Join(dir, string(e)+".csv")); err != nil {
			return nil, err
		} else if ok {
			streams = append(streams, connectors.Stream{Name: string(e), Entity: e})
		}
	}
	return streams, nil
}

// Read emits every row of every entity file present, entity by entity in canonical
// order, then declares each file's entity complete. It always reads everything: a file
// is the whole truth for its entity, so the state is ignored.
func (Connector) Read(ctx context.Context, cfg connectors.Config, _ connectors.State, emit connectors.Emitter) error {
	s, dir, err := folder(cfg)
	if err != nil {
		return err
	}
	for _, e := range canonical.Entities {
		path := filepath.Join(dir, string(e)+".csv")
		ok, err := fileExists(path)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := readFile(ctx, cfg.Source, path, e, s.Files[string(e)], emit); err != nil {
			return err
		}
		if err := emit.SnapshotComplete(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

func readFile(ctx context.Context, source, path string, e canonical.Entity, opts FileSettings, emit connectors.Emitter) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("csv: open %s: %w", path, err)
	}
	defer f.Close()
	return readStream(ctx, source, filepath.Base(path), e, opts, f, emit)
}

// readStream reads one entity file from r; name is the file name used in messages.
func readStream(ctx context.Context, source, name string, e canonical.Entity, opts FileSettings, r io.Reader, emit connectors.Emitter) error {
	sc := newScanner(r, delimiter(opts))
	cols, err := readHeader(sc, name, e, opts)
	if err != nil {
		return err
	}
	idCol := slices.IndexFunc(cols, func(c column) bool { return c.field == "external_id" })
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		it, err := sc.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("csv: read %s after line %d: %w", name, sc.src.n, err)
		}
		if it.problem == "" && len(it.fields) != len(cols) {
			it.problem = fmt.Sprintf("expected %d columns, found %d", len(cols), len(it.fields))
		}
		if it.problem != "" {
			rej := canonical.Rejection{Source: source, Entity: e, Reason: fmt.Sprintf("%s %s: %s", name, it.lines(), it.problem), Raw: it.raw}
			if idCol >= 0 && idCol < len(it.fields) {
				rej.ExternalID = strings.TrimSpace(it.fields[idCol])
			}
			if err := emit.Reject(ctx, rej); err != nil {
				return err
			}
			continue
		}
		if err := emit.Record(ctx, toRecord(e, name, cols, &it)); err != nil {
			return err
		}
	}
}

func delimiter(opts FileSettings) rune {
	if opts.Delimiter == "" {
		return ','
	}
	r, _ := utf8.DecodeRuneInString(opts.Delimiter)
	return r
}

// readHeader reads the header row and maps it; every problem is a config error.
func readHeader(sc *scanner, name string, e canonical.Entity, opts FileSettings) ([]column, error) {
	head, err := sc.next()
	if errors.Is(err, io.EOF) {
		return nil, connectors.ConfigError(fmt.Errorf("csv: %s is empty: it needs a header row naming its columns (%s)", name, strings.Join(canonical.SchemaOf(e).FieldNames(), ", ")))
	}
	if err != nil {
		return nil, fmt.Errorf("csv: read %s: %w", name, err)
	}
	if head.problem != "" {
		return nil, connectors.ConfigError(fmt.Errorf("csv: %s %s (header row): %s", name, head.lines(), head.problem))
	}
	cols, err := mapHeader(name, e, opts, head.fields)
	if err != nil {
		return nil, connectors.ConfigError(err)
	}
	return cols, nil
}

// column is what one header of a file maps to: a field or an attribute.
type column struct {
	field string
	attr  string
}

// mapHeader maps each header of a file to a field or an attribute, or explains which
// header is unknown and what the valid names are.
func mapHeader(name string, e canonical.Entity, opts FileSettings, headers []string) ([]column, error) {
	schema := canonical.SchemaOf(e)
	byHeader := map[string]string{}
	for _, f := range schema.FieldNames() {
		h := f
		if r := strings.TrimSpace(opts.Columns[f]); r != "" {
			h = r
		}
		byHeader[h] = f
	}
	extra := map[string]bool{}
	for _, a := range opts.Attributes {
		extra[strings.TrimSpace(a)] = true
	}
	cols := make([]column, len(headers))
	seen := map[string]int{}
	for i, raw := range headers {
		h := strings.TrimSpace(raw)
		if j, dup := seen[h]; dup {
			return nil, fmt.Errorf("csv: %s: columns %d and %d are both named %q: each header must be unique", name, j+1, i+1, h)
		}
		seen[h] = i
		switch f, ok := byHeader[h]; {
		case ok:
			cols[i] = column{field: f}
		case extra[h]:
			cols[i] = column{attr: h}
		case strings.HasPrefix(h, attrPrefix) && len(h) > len(attrPrefix):
			cols[i] = column{attr: h[len(attrPrefix):]}
		default:
			return nil, fmt.Errorf("csv: %s: unknown column %q (column %d); valid columns: %s; prefix a header with %q to keep it as an attribute, or list it under files.%s.attributes or rename with files.%s.columns",
				name, h, i+1, strings.Join(sortedKeys(byHeader), ", "), attrPrefix, e, e)
		}
	}
	for _, f := range schema.Fields {
		if f.Required && f.Default == "" {
			if _, ok := seen[headerOf(opts, f.Name)]; !ok {
				return nil, fmt.Errorf("csv: %s: no column for required field %s: add a %q column, or map an existing header with files.%s.columns.%s", name, f.Name, headerOf(opts, f.Name), e, f.Name)
			}
		}
	}
	if e != canonical.FXRates {
		if _, ok := seen[headerOf(opts, "external_id")]; !ok {
			return nil, fmt.Errorf("csv: %s: no column for required field external_id: add a %q column, or map an existing header with files.%s.columns.external_id", name, headerOf(opts, "external_id"), e)
		}
	}
	return cols, nil
}

func headerOf(opts FileSettings, field string) string {
	if r := strings.TrimSpace(opts.Columns[field]); r != "" {
		return r
	}
	return field
}

func toRecord(e canonical.Entity, name string, cols []column, it *item) connectors.Record {
	rec := connectors.Record{
		Entity: e,
		Fields: make(map[string]string, len(cols)),
		Raw:    it.raw,
		Origin: name + " " + it.lines(),
	}
	for i, c := range cols {
		v := it.fields[i]
		if v == "" {
			continue
		}
		if c.field != "" {
			rec.Fields[c.field] = v
			continue
		}
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		if rec.Attributes == nil {
			rec.Attributes = canonical.Attributes{}
		}
		rec.Attributes[c.attr] = v
	}
	return rec
}

func settingsOf(cfg connectors.Config) (*Settings, error) {
	switch s := cfg.Settings.(type) {
	case *Settings:
		if s != nil {
			return s, nil
		}
	case Settings:
		return &s, nil
	}
	return nil, fmt.Errorf("csv: source %q: settings are %T, want *csv.Settings", cfg.Source, cfg.Settings)
}

func resolve(base, path string) string {
	if filepath.IsAbs(path) || base == "" {
		return filepath.Clean(path)
	}
	return filepath.Join(base, path)
}

func fileExists(path string) (bool, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("csv: %s: %w", path, err)
	}
	if info.IsDir() {
		return false, connectors.ConfigError(fmt.Errorf("csv: %s is a folder, expected a CSV file", path))
	}
	return true, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func entityNames() string {
	names := make([]string, len(canonical.Entities))
	for i, e := range canonical.Entities {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

var (
	_ connectors.Connector = Connector{}
	_ connectors.Validator = (*Settings)(nil)
)
