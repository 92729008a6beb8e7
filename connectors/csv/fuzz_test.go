package csv

import (
	stdcsv "encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzScanner checks the scanner against encoding/csv: on input the standard reader
// accepts strictly, both must split the same records; on any input the scanner must
// never fail or panic, only report problems.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a,\"b\nc\",d\n", "\"x\"\"y\",z\r\n", "a\"b,c\n", "\"open,1\n2,3\n", "\uFEFFh\nv\n", "a,b\n\n\nc,d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sc := newScanner(strings.NewReader(in), ',')
		var got [][]string
		problems := 0
		for {
			it, err := sc.next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			if it.problem != "" {
				problems++
				continue
			}
			got = append(got, append([]string(nil), it.fields...))
		}
		if !utf8.ValidString(in) || strings.ContainsAny(in, "\r\uFEFF") || strings.Contains(in, "\n ") || strings.HasPrefix(in, " ") {
			return // UTF-8 checks, line ends, BOM and blank lines differ by design
		}
		r := stdcsv.NewReader(strings.NewReader(in))
		r.FieldsPerRecord = -1
		want, err := r.ReadAll()
		if err != nil {
			return
		}
		for _, rec := range want {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				return
			}
		}
		require.Zero(t, problems)
		require.Equal(t, len(want), len(got))
		for i := range want {
			require.Equal(t, want[i], got[i])
		}
	})
}
