package metrics

import (
	"errors"
	"math/big"
	"math/bits"

	"github.com/shopspring/decimal"
)

// errOverflow reports an amount that does not fit in int64 minor units.
var errOverflow = errors.New("amount does not fit in 64-bit minor units")

// rateScale is the number of decimals of every rate the engine reports.
const rateScale = 10

// mulDivRound returns a×b÷c rounded half away from zero, with a 128-bit intermediate
// product. c must not be 0.
func mulDivRound(a, b, c int64) (int64, error) {
	neg := (a < 0) != (b < 0)
	if c < 0 {
		neg = !neg
	}
	ua, ub, uc := abs64(a), abs64(b), abs64(c)
	hi, lo := bits.Mul64(ua, ub)
	if hi >= uc {
		return bigMulDivRound(a, b, c)
	}
	q, r := bits.Div64(hi, lo, uc)
	if r >= uc-r { // 2r ≥ c without overflow
		q++
	}
	if q > 1<<63-1 {
		return 0, errOverflow
	}
	if neg {
		return -int64(q), nil
	}
	return int64(q), nil
}

func bigMulDivRound(a, b, c int64) (int64, error) {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	q, ok := bigRoundDiv(n, big.NewInt(c))
	if !ok {
		return 0, errOverflow
	}
	return q, nil
}

// bigRoundDiv returns n÷d rounded half away from zero and whether it fits in int64.
func bigRoundDiv(n, d *big.Int) (int64, bool) {
	neg := n.Sign()*d.Sign() < 0
	an, ad := new(big.Int).Abs(n), new(big.Int).Abs(d)
	q, r := new(big.Int).QuoRem(an, ad, new(big.Int))
	if r.Lsh(r, 1).Cmp(ad) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64(), q.IsInt64()
}

// mul64 multiplies with an overflow check.
func mul64(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(abs64(a), abs64(b))
	if hi != 0 || lo > 1<<63-1 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// ratio returns num÷den rounded half away from zero to rateScale decimals, or nil when
// den is 0 (SPEC §5: a ratio with a zero denominator is NULL).
func ratio(num, den int64) *decimal.Decimal {
	if den == 0 {
		return nil
	}
	q, err := mulDivRound(num, pow10[rateScale], den)
	if err != nil {
		return nil
	}
	d := decimal.New(q, -rateScale)
	return &d
}

// quotient returns round(num÷den) in minor units, or nil when den is 0.
func quotient(num, den int64) *int64 {
	if den == 0 {
		return nil
	}
	q, err := mulDivRound(num, 1, den)
	if err != nil {
		return nil
	}
	return &q
}

// roundDecimal rounds an exact decimal in minor units to an integer, half away from zero.
func roundDecimal(d decimal.Decimal) int64 {
	return d.Round(0).IntPart()
}

func ptr[T any](v T) *T { return &v }
