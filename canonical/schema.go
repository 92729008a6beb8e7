package canonical

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Kind is the value type of a field.
type Kind int

// The field kinds. Absent optional values are nil (pointer kinds) or "" (strings).
const (
	KindString    Kind = iota // string
	KindDate                  // Date or *Date
	KindTimestamp             // *time.Time
	KindMoney                 // decimal.Decimal or *decimal.Decimal, major units
	KindRate                  // decimal.Decimal, > 0
	KindInteger               // int64
	KindBoolean               // bool
)

// Field describes one field of an entity, as read from its struct tag.
type Field struct {
	Name     string
	Kind     Kind
	Required bool
	Enum     []string
	Default  string
	Ref      Entity // the referenced entity, for *_external_id fields
	Currency bool   // an ISO 4217 code, upper-cased
	Country  bool   // an ISO 3166-1 alpha-2 code, upper-cased
	Positive bool   // an integer ≥ 1
	index    int
	// set parses raw (trimmed, non-empty) into the struct field fv; chosen once per
	// schema by buildSchema for the field's kind and Go type.
	set func(f *Field, fv reflect.Value, raw string) error
	// defaultAmount is the parsed Default of a money or rate field.
	defaultAmount *decimal.Decimal
}

// Schema is the ordered field list of one entity, external_id excluded.
type Schema struct {
	Entity Entity
	Fields []Field
	byName map[string]int
}

var schemas = map[Entity]*Schema{}

func init() {
	for _, e := range Entities {
		schemas[e] = buildSchema(e)
	}
}

// SchemaOf returns the entity's schema, or nil for an unknown entity.
func SchemaOf(e Entity) *Schema { return schemas[e] }

// Field returns the named field and whether it exists.
func (s *Schema) Field(name string) (Field, bool) {
	i, ok := s.byName[name]
	if !ok {
		return Field{}, false
	}
	return s.Fields[i], true
}

// FieldNames lists external_id (except for fx_rates) and every field name, in order.
func (s *Schema) FieldNames() []string {
	var names []string
	if s.Entity != FXRates {
		names = append(names, "external_id")
	}
	for _, f := range s.Fields {
		names = append(names, f.Name)
	}
	return names
}

func buildSchema(e Entity) *Schema {
	t := reflect.TypeOf(New(e)).Elem()
	s := &Schema{Entity: e, byName: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("field")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		f := Field{Name: parts[0], index: i, Kind: kindOf(sf.Type)}
		for _, opt := range parts[1:] {
			k, v, _ := strings.Cut(opt, "=")
			switch k {
			case "required":
				f.Required = true
			case "enum":
				f.Enum = strings.Split(v, "|")
			case "default":
				f.Default = v
			case "ref":
				f.Ref = Entity(v)
			case "positive":
				f.Positive = true
			case "kind":
				switch v {
				case "currency":
					f.Currency = true
				case "country":
					f.Country = true
				case "rate":
					f.Kind = KindRate
				}
			}
		}
		f.set = setterOf(f.Kind, sf.Type)
		if f.Kind == KindMoney || f.Kind == KindRate {
			if d, err := ParseAmount(f.Default); err == nil {
				f.defaultAmount = &d
			}
		}
		s.byName[f.Name] = len(s.Fields)
		s.Fields = append(s.Fields, f)
	}
	return s
}

func kindOf(t reflect.Type) Kind {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[Date]():
		return KindDate
	case reflect.TypeFor[time.Time]():
		return KindTimestamp
	case reflect.TypeFor[decimal.Decimal]():
		return KindMoney
	}
	switch t.Kind() {
	case reflect.Int64:
		return KindInteger
	case reflect.Bool:
		return KindBoolean
	}
	return KindString
}

// Values returns the record's field values in schema order: string, Date, time.Time,
// decimal.Decimal, int64, bool, or nil when absent.
func Values(r Record) []any {
	return AppendValues(make([]any, 0, len(schemas[r.Entity()].Fields)), r)
}

// AppendValues appends the record's field values, as Values returns them, to dst and
// returns the extended slice: bulk writers build a whole row in one allocation.
func AppendValues(dst []any, r Record) []any {
	s := schemas[r.Entity()]
	v := reflect.ValueOf(r).Elem()
	for i := range s.Fields {
		fv := v.Field(s.Fields[i].index)
		switch fv.Kind() {
		case reflect.Pointer:
			if fv.IsNil() {
				dst = append(dst, nil)
			} else {
				dst = append(dst, fv.Elem().Interface())
			}
		case reflect.String:
			if str := fv.String(); str == "" {
				dst = append(dst, nil)
			} else {
				dst = append(dst, str)
			}
		default:
			dst = append(dst, fv.Interface())
		}
	}
	return dst
}

// FromValues builds a record of entity e from field values in schema order, typed as
// Values returns them (string, Date, time.Time, decimal.Decimal, int64, bool, or nil when
// absent; an absent field with a default gets it). It is the inverse of Values for
// readers of stored records, which were validated when written: it checks the types,
// not the rules of Parse.
func FromValues(e Entity, source, externalID string, vals []any, attrs Attributes) (Record, error) {
	s := schemas[e]
	if s == nil {
		return nil, fmt.Errorf("%q is not an entity (valid: %s)", e, entityList())
	}
	if len(vals) != len(s.Fields) {
		return nil, fmt.Errorf("%s '%s': %d values for %d fields", e, externalID, len(vals), len(s.Fields))
	}
	r := New(e)
	h := r.Header()
	h.Source, h.ExternalID, h.Attributes = source, externalID, attrs
	v := reflect.ValueOf(r).Elem()
	for i := range s.Fields {
		f := &s.Fields[i]
		fv := v.Field(f.index)
		val := vals[i]
		if val == nil {
			if f.Default != "" {
				if err := f.set(f, fv, f.Default); err != nil {
					return nil, fmt.Errorf("%s '%s': %s %w", e, externalID, f.Name, err)
				}
			}
			continue
		}
		ok := true
		switch x := val.(type) {
		case string:
			ok = f.Kind == KindString
			if ok {
				fv.SetString(x)
			}
		case Date:
			switch p := fv.Addr().Interface().(type) {
			case *Date:
				*p = x
			case **Date:
				*p = &x
			default:
				ok = false
			}
		case time.Time:
			switch p := fv.Addr().Interface().(type) {
			case *time.Time:
				*p = x
			case **time.Time:
				*p = &x
			default:
				ok = false
			}
		case decimal.Decimal:
			switch p := fv.Addr().Interface().(type) {
			case *decimal.Decimal:
				*p = x
			case **decimal.Decimal:
				*p = &x
			default:
				ok = false
			}
		case int64:
			ok = f.Kind == KindInteger
			if ok {
				fv.SetInt(x)
			}
		case bool:
			ok = f.Kind == KindBoolean
			if ok {
				fv.SetBool(x)
			}
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("%s '%s': %s cannot hold a %T value", e, externalID, f.Name, val)
		}
	}
	return r, nil
}

// Ref is one reference from a record to another record of the same source.
type Ref struct {
	Field      string
	Entity     Entity
	ExternalID string
}

// References lists the record's non-empty references.
func References(r Record) []Ref {
	s := schemas[r.Entity()]
	v := reflect.ValueOf(r).Elem()
	var refs []Ref
	for _, f := range s.Fields {
		if f.Ref == "" {
			continue
		}
		if id := v.Field(f.index).String(); id != "" {
			refs = append(refs, Ref{Field: f.Name, Entity: f.Ref, ExternalID: id})
		}
	}
	return refs
}

// Parse builds a validated record of entity e from text fields as connectors deliver
// them (SPEC §1 formats; an empty value is absent). It returns every problem found, each
// in plain words, joined into one error whose text is a rejection reason such as
// `invoice_lines 'li_9': amount "12,50" is not a decimal amount (use digits and a dot, like 1234.50)`.
func Parse(e Entity, source string, fields map[string]string, attrs Attributes) (Record, error) {
	s := schemas[e]
	if s == nil {
		return nil, fmt.Errorf("%q is not an entity (valid: %s)", e, entityList())
	}
	r := New(e)
	h := r.Header()
	h.Source, h.Attributes = source, attrs
	rawID, hasID := fields["external_id"]
	h.ExternalID = strings.TrimSpace(rawID)
	var problems, fieldProblems []string
	if e != FXRates && h.ExternalID == "" {
		problems = append(problems, "external_id is missing")
	}
	known := 0 // how many keys of fields are schema fields (or external_id)
	if hasID {
		known++
	}
	v := reflect.ValueOf(r).Elem()
	for i := range s.Fields {
		f := &s.Fields[i]
		raw, ok := fields[f.Name]
		if ok {
			known++
		}
		raw = strings.TrimSpace(raw)
		if raw == "" {
			raw = f.Default
		}
		if raw == "" {
			if f.Required {
				fieldProblems = append(fieldProblems, f.Name+" is missing")
			}
			continue
		}
		if err := f.set(f, v.Field(f.index), raw); err != nil {
			fieldProblems = append(fieldProblems, f.Name+" "+err.Error())
		}
	}
	if known != len(fields) {
		for name := range fields {
			if _, ok := s.byName[name]; !ok && name != "external_id" {
				problems = append(problems, fmt.Sprintf("%q is not a field of %s (valid: %s)", name, e, strings.Join(s.FieldNames(), ", ")))
			}
		}
	}
	slices.Sort(problems)
	problems = append(problems, fieldProblems...)
	if len(problems) == 0 {
		problems = validate(r)
	}
	if e == FXRates && len(problems) == 0 {
		fx := r.(*FXRate)
		h.ExternalID = fx.Date.String() + "/" + fx.Currency
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s '%s': %s", e, h.ExternalID, strings.Join(problems, "; "))
	}
	return r, nil
}

func entityList() string {
	names := make([]string, len(Entities))
	for i, e := range Entities {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// setterOf returns the parser-and-setter of a field of the given kind and Go type. The
// setters write through typed pointers, so that parsing a field allocates nothing but
// what the record keeps (a *Date, *time.Time or *decimal.Decimal of an optional field).
func setterOf(k Kind, t reflect.Type) func(f *Field, fv reflect.Value, raw string) error {
	ptr := t.Kind() == reflect.Pointer
	switch k {
	case KindString:
		return func(f *Field, fv reflect.Value, raw string) error {
			s, err := parseString(f, raw)
			if err != nil {
				return err
			}
			fv.SetString(s)
			return nil
		}
	case KindDate:
		if ptr {
			return func(_ *Field, fv reflect.Value, raw string) error {
				d, err := parseDateField(raw)
				if err != nil {
					return err
				}
				p := new(Date)
				*p = d
				*fv.Addr().Interface().(**Date) = p
				return nil
			}
		}
		return func(_ *Field, fv reflect.Value, raw string) error {
			d, err := parseDateField(raw)
			if err != nil {
				return err
			}
			*fv.Addr().Interface().(*Date) = d
			return nil
		}
	case KindTimestamp:
		if !ptr {
			return func(_ *Field, fv reflect.Value, raw string) error {
				ts, err := ParseTimestamp(raw)
				if err != nil {
					return err
				}
				*fv.Addr().Interface().(*time.Time) = ts
				return nil
			}
		}
		return func(_ *Field, fv reflect.Value, raw string) error {
			ts, err := ParseTimestamp(raw)
			if err != nil {
				return err
			}
			p := new(time.Time)
			*p = ts
			*fv.Addr().Interface().(**time.Time) = p
			return nil
		}
	case KindMoney, KindRate:
		return func(f *Field, fv reflect.Value, raw string) error {
			var d decimal.Decimal
			if f.defaultAmount != nil && raw == f.Default {
				d = *f.defaultAmount // decimals are immutable values: sharing one is safe
			} else {
				var err error
				if d, err = ParseAmount(raw); err != nil {
					return err
				}
			}
			if f.Kind == KindRate && !d.IsPositive() {
				return fmt.Errorf("%q must be greater than 0", raw)
			}
			if places := maxPlaces(f.Kind); d.Exponent() < -places && !d.Equal(d.Truncate(places)) {
				return fmt.Errorf("%q has more than %d decimals", raw, places)
			}
			if ptr {
				p := new(decimal.Decimal)
				*p = d
				*fv.Addr().Interface().(**decimal.Decimal) = p
			} else {
				*fv.Addr().Interface().(*decimal.Decimal) = d
			}
			return nil
		}
	case KindInteger:
		return func(f *Field, fv reflect.Value, raw string) error {
			n, ok := parseWholeNumber(raw)
			if !ok {
				return fmt.Errorf("%q is not a whole number", raw)
			}
			if f.Positive && n < 1 {
				return fmt.Errorf("%q must be 1 or more", raw)
			}
			fv.SetInt(n)
			return nil
		}
	case KindBoolean:
		return func(_ *Field, fv reflect.Value, raw string) error {
			b, err := ParseBool(raw)
			if err != nil {
				return err
			}
			fv.SetBool(b)
			return nil
		}
	}
	panic(fmt.Sprintf("canonical: no setter for field kind %d", k))
}

// parseDateField parses a date field: YYYY-MM-DD, or a timestamp whose UTC day is taken;
// a value that is neither reports the date error.
func parseDateField(raw string) (Date, error) {
	d, err := ParseDate(raw)
	if err != nil {
		t, terr := ParseTimestamp(raw)
		if terr != nil {
			return 0, err
		}
		d = DateOf(t)
	}
	return d, nil
}

// parseWholeNumber accepts exactly the canonical decimal form of an int64, optionally
// preceded by '+': no leading zeros, no "-0", no spaces, nothing after the digits.
func parseWholeNumber(raw string) (int64, bool) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, false
	}
	var buf [24]byte
	return n, string(strconv.AppendInt(buf[:0], n, 10)) == strings.TrimPrefix(raw, "+")
}

func parseString(f *Field, raw string) (string, error) {
	switch {
	case f.Currency:
		return NormalizeCurrency(raw)
	case f.Country:
		c := strings.ToUpper(raw)
		if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			return "", fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code (like US or DE)", raw)
		}
		return c, nil
	case f.Enum != nil:
		if !slices.Contains(f.Enum, raw) {
			return "", fmt.Errorf("%q is not one of %s", raw, strings.Join(f.Enum, ", "))
		}
	}
	return raw, nil
}

// MoneyPlaces and RatePlaces are the most decimals a money amount (the largest ISO 4217
// exponent) and an exchange rate may have; the warehouse stores exactly that many.
const (
	MoneyPlaces = 4
	RatePlaces  = 10
)

func maxPlaces(k Kind) int32 {
	if k == KindRate {
		return RatePlaces
	}
	return MoneyPlaces
}

// ParseBool accepts true/false, 1/0 and yes/no, in any case.
func ParseBool(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true/false, 1/0 or yes/no)", raw)
}

// validate checks the rules that span fields (SPEC §1).
func validate(r Record) []string {
	var p []string
	negative := func(name string, d *decimal.Decimal) {
		if d != nil && d.IsNegative() {
			p = append(p, fmt.Sprintf("%s %s must not be negative", name, d.String()))
		}
	}
	fits := func(d *decimal.Decimal, currency string) {
		if _, err := ToMinor(*d, currency); err != nil {
			p = append(p, err.Error())
		}
	}
	switch x := r.(type) {
	case *InvoiceLine:
		if x.Type == "subscription" || x.Type == "trial" {
			if x.SubscriptionExternalID == "" {
				p = append(p, "subscription_external_id is missing (required for "+x.Type+" lines)")
			}
			if x.ServicePeriodStart == nil || x.ServicePeriodEnd == nil {
				p = append(p, "service_period_start and service_period_end are required for "+x.Type+" lines")
			} else if *x.ServicePeriodEnd <= *x.ServicePeriodStart {
				p = append(p, fmt.Sprintf("service_period_end %s must be after service_period_start %s", x.ServicePeriodEnd, x.ServicePeriodStart))
			}
		}
		if x.Type == "subscription" && x.PlanExternalID == "" {
			p = append(p, "plan_external_id is missing (required for subscription lines)")
		}
	case *Subscription:
		negative("amount", x.Amount)
		if x.Amount != nil && x.Currency == "" {
			p = append(p, "currency is missing (required with amount)")
		} else if x.Amount != nil {
			fits(x.Amount, x.Currency)
		}
	case *Transaction:
		negative("amount", x.Amount)
	case *CreditNote:
		negative("amount", &x.Amount)
		fits(&x.Amount, x.Currency)
	case *RevenueEntry:
		negative("amount", &x.Amount)
		fits(&x.Amount, x.Currency)
	case *Cost:
		negative("amount", &x.Amount)
		fits(&x.Amount, x.Currency)
	}
	return p
}
