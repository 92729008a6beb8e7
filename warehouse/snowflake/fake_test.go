package snowflake

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fakeLog records what the fake driver received, in order, across connections.
type fakeLog struct {
	mu      sync.Mutex
	entries []fakeEntry
	nconn   int
}

// fakeEntry is one statement, transaction event or uploaded file.
type fakeEntry struct {
	Conn int
	Kind string // exec, query, begin, commit, rollback, file
	SQL  string
	Args []string
}

func (l *fakeLog) add(e fakeEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
}

// Entries returns a copy of the log.
func (l *fakeLog) Entries() []fakeEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]fakeEntry(nil), l.entries...)
}

// Reset forgets what was recorded.
func (l *fakeLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

var tempFile = regexp.MustCompile(`file://[^']*/revsync-[0-9]+\.csv\.gz`)

// Render prints the log for golden files: temporary file names are normalised.
func (l *fakeLog) Render() string {
	var b strings.Builder
	for _, e := range l.Entries() {
		switch e.Kind {
		case "exec", "query":
			fmt.Fprintf(&b, "-- conn %d %s\n%s;\n", e.Conn, e.Kind, tempFile.ReplaceAllString(e.SQL, "file:///TMP/revsync-N.csv.gz"))
			if len(e.Args) > 0 {
				fmt.Fprintf(&b, "-- args: %s\n", strings.Join(e.Args, " | "))
			}
		case "file":
			fmt.Fprintf(&b, "-- conn %d uploaded file (gunzipped):\n%s", e.Conn, e.SQL)
		default:
			fmt.Fprintf(&b, "-- conn %d %s\n", e.Conn, strings.ToUpper(e.Kind))
		}
	}
	return b.String()
}

// fakeConnector is a database/sql connector that records every statement and answers
// queries with no rows (the schema version query with 0). It stands in for Snowflake,
// which cannot run here.
type fakeConnector struct{ log *fakeLog }

func (c *fakeConnector) Connect(context.Context) (driver.Conn, error) {
	c.log.mu.Lock()
	c.log.nconn++
	id := c.log.nconn
	c.log.mu.Unlock()
	return &fakeConn{id: id, log: c.log}, nil
}

func (c *fakeConnector) Driver() driver.Driver { return fakeDriver{} }

type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return nil, fmt.Errorf("use the connector") }

type fakeConn struct {
	id  int
	log *fakeLog
}

func (c *fakeConn) Prepare(string) (driver.Stmt, error) { return nil, fmt.Errorf("fake: no prepare") }
func (c *fakeConn) Close() error                        { return nil }
func (c *fakeConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *fakeConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	c.log.add(fakeEntry{Conn: c.id, Kind: "begin"})
	return &fakeTx{c: c}, nil
}

// CheckNamedValue accepts every argument (array bindings included) as is.
func (c *fakeConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (c *fakeConn) ExecContext(_ context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.log.add(fakeEntry{Conn: c.id, Kind: "exec", SQL: q, Args: renderArgs(args)})
	if strings.HasPrefix(q, "PUT 'file://") {
		path := q[len("PUT 'file://") : strings.Index(q[len("PUT '"):], "'")+len("PUT '")]
		path, _ = url.PathUnescape(path)
		data, err := gunzipFile(path)
		if err != nil {
			return nil, fmt.Errorf("fake PUT: %w", err)
		}
		c.log.add(fakeEntry{Conn: c.id, Kind: "file", SQL: data})
	}
	return driver.RowsAffected(0), nil
}

func gunzipFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	out, err := io.ReadAll(zr)
	return string(out), err
}

func (c *fakeConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.log.add(fakeEntry{Conn: c.id, Kind: "query", SQL: q, Args: renderArgs(args)})
	if strings.HasPrefix(q, "SELECT COALESCE(MAX(") {
		return &fakeRows{cols: []string{"V"}, rows: [][]driver.Value{{int64(0)}}}, nil
	}
	return &fakeRows{cols: []string{"X"}}, nil
}

// renderArgs prints bind arguments; array bindings print their elements.
func renderArgs(args []driver.NamedValue) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = renderArg(a.Value)
	}
	return out
}

func renderArg(v any) string {
	if v == nil {
		return "NULL"
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Struct { // the driver's interface-array binding
		if f := rv.FieldByName("timezoneTypeArray"); f.IsValid() {
			elems := f.Elem() // unexported: read through reflect, never Interface()
			parts := make([]string, elems.Len())
			for i := range parts {
				e := elems.Index(i)
				if e.IsNil() {
					parts[i] = "NULL"
				} else {
					parts[i] = fmt.Sprintf("%q", e.Elem().String())
				}
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
	}
	return fmt.Sprintf("%q", fmt.Sprint(v))
}

type fakeTx struct{ c *fakeConn }

func (t *fakeTx) Commit() error {
	t.c.log.add(fakeEntry{Conn: t.c.id, Kind: "commit"})
	return nil
}

func (t *fakeTx) Rollback() error {
	t.c.log.add(fakeEntry{Conn: t.c.id, Kind: "rollback"})
	return nil
}

type fakeRows struct {
	cols []string
	rows [][]driver.Value
	i    int
}

func (r *fakeRows) Columns() []string { return r.cols }
func (r *fakeRows) Close() error      { return nil }

func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= len(r.rows) {
		return io.EOF
	}
	copy(dest, r.rows[r.i])
	r.i++
	return nil
}

// openFake returns a Warehouse on the recording fake driver.
func openFake(t *testing.T, arrayBindMax int) (*Warehouse, *fakeLog) {
	t.Helper()
	log := &fakeLog{}
	db := sql.OpenDB(&fakeConnector{log: log})
	w, err := New(context.Background(), db, &Dialect{Schema: "revsync", ArrayBindMax: arrayBindMax, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, log
}
