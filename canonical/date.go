package canonical

import (
	"fmt"
	"strings"
	"time"
)

// Date is a civil calendar day in UTC, stored as days since 1970-01-01 so that a time
// zone can never shift it and day arithmetic is an integer addition.
type Date int32

// DateOf returns the UTC calendar day of t.
func DateOf(t time.Time) Date {
	t = t.UTC()
	return Date(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// NewDate returns the day y-m-d; out-of-range values normalise as in time.Date.
func NewDate(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	if d, ok := parseDateFast(s); ok {
		return d, nil
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a date (use YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// parseDateFast parses a well-formed YYYY-MM-DD (no spaces) with a valid month and day
// without going through time.Parse; anything else reports false and is left to it.
func parseDateFast(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(b string) (int, bool) {
		n := 0
		for i := 0; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return 0, false
	}
	return Date(daysFromCivil(y, m, d)), true
}

// daysIn returns the number of days of month m of year y (proleptic Gregorian).
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of y-m-d (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// Time returns midnight UTC of the day.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the day as YYYY-MM-DD.
func (d Date) String() string {
	var buf [16]byte
	return string(d.Append(buf[:0]))
}

// Append appends the day as YYYY-MM-DD (as String formats it) to b, without allocating
// when b has room: bulk writers format millions of dates.
func (d Date) Append(b []byte) []byte {
	y, m, day := civilFromDays(int64(d))
	if y < 0 || y > 9999 {
		return d.Time().AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// civilFromDays returns the proleptic Gregorian year, month and day of a count of days
// since 1970-01-01 (H. Hinnant's algorithm, the inverse of daysFromCivil).
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// AddDays returns the day n days later (earlier when n is negative).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// MonthStart returns the first day of the day's month.
func (d Date) MonthStart() Date {
	t := d.Time()
	return NewDate(t.Year(), t.Month(), 1)
}

// AddMonths returns the first day of the month n months after the day's month.
func (d Date) AddMonths(n int) Date {
	t := d.Time()
	return NewDate(t.Year(), t.Month()+time.Month(n), 1)
}

// AddInterval returns the day n plan intervals later. Month and year steps keep the day
// of month and clamp it to the target month's last day (Jan 31 + 1 month = Feb 29 in a
// leap year), as billing systems such as Stripe do.
func (d Date) AddInterval(unit IntervalUnit, n int) Date {
	switch unit {
	case Day:
		return d + Date(n)
	case Week:
		return d + Date(7*n)
	case Month:
		return d.addMonthsClamped(n)
	case Year:
		return d.addMonthsClamped(12 * n)
	}
	return d
}

func (d Date) addMonthsClamped(n int) Date {
	t := d.Time()
	first := NewDate(t.Year(), t.Month()+time.Month(n), 1)
	last := first.AddMonths(1) - 1
	if target := first + Date(t.Day()-1); target <= last {
		return target
	}
	return last
}

// ParseTimestamp parses RFC 3339, or a bare YYYY-MM-DD as midnight UTC, and returns UTC.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02 15:04:05", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp (use RFC 3339 like 2024-01-31T12:00:00Z, or YYYY-MM-DD)", s)
}
