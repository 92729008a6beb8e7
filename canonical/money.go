package canonical

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// exponents holds the ISO 4217 minor-unit exponents that differ from 2, plus the list of
// known codes, so that an unknown code is rejected instead of silently assumed.
var exponents = map[string]int32{
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"CLF": 4, "UYW": 4,
}

// twoDecimalCurrencies lists the active ISO 4217 codes with two minor digits.
var twoDecimalCurrencies = strings.Fields(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB
BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS
KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE
SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST
XCD YER ZAR ZMW ZWL`)

func init() {
	for _, c := range twoDecimalCurrencies {
		exponents[c] = 2
	}
}

// NormalizeCurrency upper-cases an ISO 4217 code and checks that it is known.
func NormalizeCurrency(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if _, ok := exponents[c]; !ok {
		return "", fmt.Errorf("%q is not an ISO 4217 currency code", s)
	}
	return c, nil
}

// Exponent returns the number of minor-unit digits of an ISO 4217 currency (USD 2, JPY 0,
// BHD 3). The code must have been normalised; an unknown code reports 2.
func Exponent(currency string) int32 {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// ParseAmount parses a decimal string in major units ("99.00", "1200", "-0.5"). Binary
// floats never appear: the value is exact.
func ParseAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, ",eE_ ") || s == "" {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal amount (use digits and a dot, like 1234.50)", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal amount (use digits and a dot, like 1234.50)", s)
	}
	return d, nil
}

// ToMinor converts an exact amount in major units to int64 minor units of currency. It
// fails when the amount has more decimals than the currency allows or does not fit.
func ToMinor(amount decimal.Decimal, currency string) (int64, error) {
	// Fast path without big.Int arithmetic: no more decimals than the currency has and
	// a coefficient small enough that scaling it cannot overflow.
	if shift := Exponent(currency) + amount.Exponent(); shift >= 0 && shift <= 18 && amount.NumDigits() <= 18-int(shift) {
		return amount.CoefficientInt64() * pow10[shift], nil
	}
	scaled := amount.Shift(Exponent(currency))
	if !scaled.Equal(scaled.Truncate(0)) {
		return 0, fmt.Errorf("amount %s has more decimals than %s allows (%d)", amount.String(), currency, Exponent(currency))
	}
	if !scaled.BigInt().IsInt64() {
		return 0, fmt.Errorf("amount %s %s is too large", amount.String(), currency)
	}
	return scaled.IntPart(), nil
}

// pow10 holds 10^0 … 10^18.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// FormatMinor renders minor units of currency as a decimal string with exactly the
// currency's number of decimals ("1234.50", "-3.00", "10000").
func FormatMinor(minor int64, currency string) string {
	return decimal.New(minor, -Exponent(currency)).StringFixed(Exponent(currency))
}
