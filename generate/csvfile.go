package generate

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/revsync/revsync/canonical"
)

// csvFile writes one entity file row by row through a buffered writer. Values are
// appended to a reusable line buffer, so writing a row allocates nothing.
type csvFile struct {
	name  string
	tmp   string
	f     *os.File
	w     *bufio.Writer
	line  []byte
	cols  int
	n     int
	rows  int64
	bytes int64
	dates *dateCache
	err   error
}

func createFile(dir string, e canonical.Entity, header []string, dates *dateCache) (*csvFile, error) {
	name := dir + string(os.PathSeparator) + string(e) + ".csv"
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("generate: create %s: %w", tmp, err)
	}
	c := &csvFile{name: name, tmp: tmp, f: f, w: bufio.NewWriterSize(f, 256<<10), cols: len(header), dates: dates}
	for _, h := range header {
		c.str(h)
	}
	c.endHeader()
	return c, nil
}

func (c *csvFile) sep() {
	if c.n > 0 {
		c.line = append(c.line, ',')
	}
	c.n++
}

// str appends a text value, quoted when it holds a comma, a quote or a line break.
func (c *csvFile) str(s string) *csvFile {
	c.sep()
	if !strings.ContainsAny(s, ",\"\n\r") {
		c.line = append(c.line, s...)
		return c
	}
	c.line = append(c.line, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			c.line = append(c.line, '"')
		}
		c.line = append(c.line, s[i])
	}
	c.line = append(c.line, '"')
	return c
}

// empty appends an absent value.
func (c *csvFile) empty() *csvFile { c.sep(); return c }

// date appends a YYYY-MM-DD date.
func (c *csvFile) date(d canonical.Date) *csvFile {
	c.sep()
	c.line = append(c.line, c.dates.get(d)...)
	return c
}

// stamp appends an RFC 3339 UTC timestamp: day d at second sec of the day.
func (c *csvFile) stamp(d canonical.Date, sec int) *csvFile {
	c.sep()
	c.line = append(c.line, c.dates.get(d)...)
	c.line = append(c.line, 'T')
	c.line = append2(c.line, sec/3600)
	c.line = append(c.line, ':')
	c.line = append2(c.line, sec/60%60)
	c.line = append(c.line, ':')
	c.line = append2(c.line, sec%60)
	c.line = append(c.line, 'Z')
	return c
}

// money appends minor units with exp decimals ("1234.50", "-3.00", "4350").
func (c *csvFile) money(minor int64, exp int32) *csvFile {
	c.sep()
	c.line = appendMinor(c.line, minor, exp)
	return c
}

// int appends a whole number.
func (c *csvFile) int(n int64) *csvFile {
	c.sep()
	c.line = strconv.AppendInt(c.line, n, 10)
	return c
}

// bool appends true or false.
func (c *csvFile) bool(b bool) *csvFile {
	c.sep()
	c.line = strconv.AppendBool(c.line, b)
	return c
}

func (c *csvFile) endHeader() {
	c.line = append(c.line, '\n')
	c.write()
}

// end finishes the row; a wrong column count is a bug in the generator.
func (c *csvFile) end() {
	if c.n != c.cols {
		panic(fmt.Sprintf("generate: %s row has %d columns, header %d: %s", c.name, c.n, c.cols, c.line))
	}
	c.line = append(c.line, '\n')
	c.rows++
	c.write()
}

func (c *csvFile) write() {
	if c.err == nil {
		_, c.err = c.w.Write(c.line)
	}
	c.bytes += int64(len(c.line))
	c.line = c.line[:0]
	c.n = 0
}

// close flushes and closes the temporary file.
func (c *csvFile) close() error {
	if c.err == nil {
		c.err = c.w.Flush()
	}
	if err := c.f.Close(); c.err == nil {
		c.err = err
	}
	if c.err != nil {
		return fmt.Errorf("generate: write %s: %w", c.tmp, c.err)
	}
	return nil
}

// commit renames the finished temporary file to its final name.
func (c *csvFile) commit() error {
	if err := os.Rename(c.tmp, c.name); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return nil
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendMinor formats minor units of a currency with exp minor digits, exactly.
func appendMinor(b []byte, minor int64, exp int32) []byte {
	if minor < 0 {
		b = append(b, '-')
		minor = -minor
	}
	if exp == 0 {
		return strconv.AppendInt(b, minor, 10)
	}
	p := int64(1)
	for range exp {
		p *= 10
	}
	b = strconv.AppendInt(b, minor/p, 10)
	b = append(b, '.')
	frac := minor % p
	for q := p / 10; q > 0; q /= 10 {
		b = append(b, byte('0'+frac/q%10))
	}
	return b
}

// dateCache holds the text of every day in a window, so formatting a date is a lookup.
type dateCache struct {
	first canonical.Date
	texts []string
}

func newDateCache(from, to canonical.Date) *dateCache {
	dc := &dateCache{first: from, texts: make([]string, 0, int(to-from)+1)}
	for d := from; d <= to; d++ {
		dc.texts = append(dc.texts, d.String())
	}
	return dc
}

func (dc *dateCache) get(d canonical.Date) string {
	if i := int(d - dc.first); i >= 0 && i < len(dc.texts) {
		return dc.texts[i]
	}
	return d.String()
}
