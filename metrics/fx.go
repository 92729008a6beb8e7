package metrics

import (
	"fmt"
	"sort"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

// fxRate is one rate row: one unit of a currency is worth rate units of the reporting
// currency from date on.
type fxRate struct {
	date canonical.Date
	rate decimal.Decimal
	coef int64 // rate = coef × 10^exp
	exp  int32
	big  bool // coef does not fit int64: use decimal arithmetic
}

// fxTable answers "the latest rate on or before a day" per currency.
type fxTable struct {
	reporting string
	repExp    int32
	rates     map[string][]fxRate
}

// newFXTable indexes the rates. When several sources give a rate for the same
// (date, currency), the one of the smallest source name wins.
func newFXTable(reporting string, rows []*canonical.FXRate) *fxTable {
	t := &fxTable{reporting: reporting, repExp: canonical.Exponent(reporting), rates: map[string][]fxRate{}}
	sorted := append([]*canonical.FXRate(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Currency != b.Currency {
			return a.Currency < b.Currency
		}
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		return a.Source < b.Source
	})
	for _, r := range sorted {
		list := t.rates[r.Currency]
		if n := len(list); n > 0 && list[n-1].date == r.Date {
			continue
		}
		fr := fxRate{date: r.Date, rate: r.Rate, exp: r.Rate.Exponent()}
		if r.Rate.Coefficient().IsInt64() {
			fr.coef = r.Rate.CoefficientInt64()
		} else {
			fr.big = true
		}
		t.rates[r.Currency] = append(list, fr)
	}
	return t
}

// lookup returns the rate of currency on day d, or an error naming both.
func (t *fxTable) lookup(currency string, d canonical.Date) (*fxRate, error) {
	list := t.rates[currency]
	i := sort.Search(len(list), func(i int) bool { return list[i].date > d })
	if i == 0 {
		return nil, fmt.Errorf("metrics: no fx_rates row for %s on or before %s (rates give the value of one %s in %s)",
			currency, d, currency, t.reporting)
	}
	return &list[i-1], nil
}

// convert converts minor units of currency on day d to minor units of the reporting
// currency, rounded half away from zero.
func (t *fxTable) convert(minor int64, currency string, d canonical.Date) (int64, error) {
	if currency == t.reporting || minor == 0 {
		return minor, nil
	}
	r, err := t.lookup(currency, d)
	if err != nil {
		return 0, err
	}
	return r.apply(minor, canonical.Exponent(currency), t.repExp)
}

// fxMemo remembers one currency's exponent and rate list: a customer's amounts are
// mostly in one currency, so most lookups skip the maps.
type fxMemo struct {
	cur   string
	exp   int32
	rates []fxRate
	has   bool // rates is the list of cur
}

// exponent returns canonical.Exponent(cur).
func (m *fxMemo) exponent(cur string) int32 {
	if m.cur != cur || m.cur == "" {
		m.cur, m.exp, m.rates, m.has = cur, canonical.Exponent(cur), nil, false
	}
	return m.exp
}

// convertMemo is convert with the currency's exponent and rates taken from m.
func (t *fxTable) convertMemo(m *fxMemo, minor int64, currency string, d canonical.Date) (int64, error) {
	if currency == t.reporting || minor == 0 {
		return minor, nil
	}
	exp := m.exponent(currency)
	if !m.has {
		m.rates, m.has = t.rates[currency], true
	}
	list := m.rates
	lo, hi := 0, len(list) // first index with date > d
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if list[h].date <= d {
			lo = h + 1
		} else {
			hi = h
		}
	}
	if lo == 0 {
		_, err := t.lookup(currency, d)
		return 0, err
	}
	return list[lo-1].apply(minor, exp, t.repExp)
}

// apply returns round(minor × rate × 10^(repExp − natExp)).
func (r *fxRate) apply(minor int64, natExp, repExp int32) (int64, error) {
	e := r.exp + repExp - natExp
	if !r.big && e <= 0 && -e < int32(len(pow10)) {
		return mulDivRound(minor, r.coef, pow10[-e])
	}
	if !r.big && e > 0 && e < int32(len(pow10)) {
		if v, ok := mul64(r.coef, pow10[e]); ok {
			if v2, ok := mul64(minor, v); ok {
				return v2, nil
			}
		}
	}
	v := decimal.New(minor, 0).Mul(r.rate).Shift(repExp - natExp).Round(0)
	if !v.Coefficient().IsInt64() {
		return 0, errOverflow
	}
	return v.IntPart(), nil
}

// exact returns minor × rate × 10^(repExp − natExp) without rounding (cash sums).
func (r *fxRate) exact(minor int64, natExp, repExp int32) decimal.Decimal {
	return decimal.New(minor, 0).Mul(r.rate).Shift(repExp - natExp)
}
