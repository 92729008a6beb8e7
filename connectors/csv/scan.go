package csv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep memory bounded whatever the input: a quoted field that is never
// closed would otherwise swallow the rest of a file into one record.
const (
	// maxRecordBytes bounds one logical record (all its physical lines).
	maxRecordBytes = 8 << 20
	// maxRecordLines bounds the physical lines one quoted value may span.
	maxRecordLines = 1000
	// longPrefix is how much of an over-long line a rejection keeps.
	longPrefix = 1024
)

// physLine is one physical line of the file, without its terminator.
type physLine struct {
	text string
	n    int // 1-based line number
	long bool
}

// lineSource reads physical lines, and lines pushed back after a recovery first.
type lineSource struct {
	br      *bufio.Reader
	n       int
	pending []physLine
	buf     []byte
}

func (s *lineSource) next() (physLine, error) {
	if len(s.pending) > 0 {
		l := s.pending[0]
		s.pending = s.pending[1:]
		return l, nil
	}
	s.buf = s.buf[:0]
	long := false
	for {
		chunk, err := s.br.ReadSlice('\n')
		if !long {
			s.buf = append(s.buf, chunk...)
			if len(s.buf) > maxRecordBytes {
				// Keep the start of the line for the rejection, drop the rest.
				long = true
				s.buf = s.buf[:longPrefix]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return physLine{}, err
		}
		if errors.Is(err, io.EOF) && len(s.buf) == 0 && !long {
			return physLine{}, io.EOF
		}
		break
	}
	s.n++
	b := bytes.TrimSuffix(s.buf, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	if s.n == 1 {
		b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	}
	return physLine{text: string(b), n: s.n, long: long}, nil
}

// item is one logical record of the file, or a piece of input that could not be read as
// one (problem set).
type item struct {
	fields  []string
	raw     string
	first   int
	last    int
	problem string
}

// lines names the item's line range for people: "line 12" or "lines 12-14".
func (it *item) lines() string {
	if it.last > it.first {
		return "lines " + strconv.Itoa(it.first) + "-" + strconv.Itoa(it.last)
	}
	return "line " + strconv.Itoa(it.first)
}

// scanner splits a CSV stream into logical records (RFC 4180, strict quotes) while keeping
// each record's raw text and line numbers, and recovers from broken quoting at the next
// line. Unlike encoding/csv it never holds more than one bounded record in memory.
type scanner struct {
	src    lineSource
	delim  rune
	fields []string
	group  []physLine
}

func newScanner(r io.Reader, delim rune) *scanner {
	return &scanner{src: lineSource{br: bufio.NewReaderSize(r, 256<<10)}, delim: delim}
}

// next returns the next non-blank logical record, or io.EOF. The returned fields are
// reused by the following call.
func (s *scanner) next() (item, error) {
	var first physLine
	for {
		l, err := s.src.next()
		if err != nil {
			return item{}, err
		}
		// A blank line is skipped; a line of empty cells ("\t\t") is a row.
		if l.long || strings.TrimSpace(l.text) != "" || strings.ContainsRune(l.text, s.delim) {
			first = l
			break
		}
	}
	if first.long {
		return item{first: first.n, last: first.n, raw: strings.ToValidUTF8(first.text, "\uFFFD") + "…", problem: fmt.Sprintf("the line is longer than %d MiB (only its start is kept)", maxRecordBytes>>20)}, nil
	}
	s.group = append(s.group[:0], first)
	open := stillQuoted(first.text, s.delim, false)
	size := len(first.text)
	for open && len(s.group) < maxRecordLines && size <= maxRecordBytes {
		l, err := s.src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return item{}, err
		}
		if l.long {
			s.src.pending = append([]physLine{l}, s.src.pending...)
			break
		}
		s.group = append(s.group, l)
		open = stillQuoted(l.text, s.delim, true)
		size += len(l.text) + 1
	}
	if open {
		return s.recover("a quoted value opened on this line is never closed"), nil
	}
	raw := first.text
	if len(s.group) > 1 {
		var b strings.Builder
		b.Grow(size)
		for i, l := range s.group {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(l.text)
		}
		raw = b.String()
	}
	if !utf8.ValidString(raw) {
		// Kept as is, invalid bytes would fail the warehouse write of the whole batch.
		return item{raw: strings.ToValidUTF8(raw, "\uFFFD"), first: first.n, last: s.group[len(s.group)-1].n,
			problem: "the text is not valid UTF-8 (save the file as UTF-8)"}, nil
	}
	fields, err := splitRecord(raw, s.delim, s.fields[:0])
	s.fields = fields
	if err != nil {
		if len(s.group) > 1 {
			return s.recover(err.Error()), nil
		}
		return item{raw: raw, first: first.n, last: first.n, problem: err.Error()}, nil
	}
	return item{fields: fields, raw: raw, first: first.n, last: s.group[len(s.group)-1].n}, nil
}

// recover rejects the first line of the current group and pushes the others back, so
// that reading resumes at the next line.
func (s *scanner) recover(problem string) item {
	first := s.group[0]
	rest := append([]physLine(nil), s.group[1:]...)
	s.src.pending = append(rest, s.src.pending...)
	return item{raw: first.text, first: first.n, last: first.n, problem: problem}
}

// stillQuoted reports whether a quoted value is still open at the end of line, given
// whether one was open at its start. Only a quote at the start of a value opens one, so a
// stray quote inside an unquoted value never swallows the following lines.
func stillQuoted(line string, delim rune, inQuote bool) bool {
	if !inQuote && strings.IndexByte(line, '"') < 0 {
		return false
	}
	const (
		atStart = iota
		unquoted
		quoted
		quoteSeen // a quote inside a quoted value: closing, or the first of a doubled pair
	)
	st := atStart
	if inQuote {
		st = quoted
	}
	for _, r := range line {
		switch st {
		case atStart:
			switch r {
			case '"':
				st = quoted
			case delim:
			default:
				st = unquoted
			}
		case unquoted:
			if r == delim {
				st = atStart
			}
		case quoted:
			if r == '"' {
				st = quoteSeen
			}
		case quoteSeen:
			switch r {
			case '"':
				st = quoted
			case delim:
				st = atStart
			default:
				st = unquoted
			}
		}
	}
	return st == quoted
}

// splitRecord splits one logical record into fields, appending to dst. Quoted values may
// contain the delimiter, newlines and doubled quotes; a quote anywhere else is an error.
func splitRecord(text string, delim rune, dst []string) ([]string, error) {
	dlen := utf8.RuneLen(delim)
	col := 1
	for {
		if strings.HasPrefix(text, `"`) {
			val, rest, err := quotedField(text[1:], delim)
			if err != nil {
				return dst, fmt.Errorf("column %d: %w", col, err)
			}
			dst = append(dst, val)
			if rest == "" {
				return dst, nil
			}
			text = rest[dlen:]
		} else {
			i := strings.IndexRune(text, delim)
			val := text
			if i >= 0 {
				val = text[:i]
			}
			if strings.Contains(val, `"`) {
				return dst, fmt.Errorf(`column %d: a quote (") inside an unquoted value; quote the whole value and double the inner quotes, like "say ""hi"""`, col)
			}
			dst = append(dst, val)
			if i < 0 {
				return dst, nil
			}
			text = text[i+dlen:]
		}
		col++
	}
}

// quotedField reads a quoted value whose opening quote is already consumed. It returns
// the value and the rest of the text, which is empty or starts with the delimiter.
func quotedField(text string, delim rune) (string, string, error) {
	var b strings.Builder
	escaped := false
	for {
		i := strings.IndexByte(text, '"')
		if i < 0 {
			return "", "", errors.New("a quoted value is never closed")
		}
		if strings.HasPrefix(text[i+1:], `"`) {
			escaped = true
			b.WriteString(text[:i+1])
			text = text[i+2:]
			continue
		}
		rest := text[i+1:]
		if rest != "" {
			r, _ := utf8.DecodeRuneInString(rest)
			if r != delim {
				return "", "", errors.New("unexpected text after the closing quote; double quotes inside a quoted value (\"\")")
			}
		}
		if !escaped {
			return text[:i], rest, nil
		}
		b.WriteString(text[:i])
		return b.String(), rest, nil
	}
}
