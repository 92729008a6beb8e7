package metrics

import (
	"fmt"
	"strings"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

type dimKind int

const (
	dimCustomerField dimKind = iota // a field of customers (country, state, city, ...)
	dimCustomerAttr                 // a customer attribute (segment, customer.<attr>)
	dimPlan
	dimProduct
	dimInterval
	dimCurrency
	dimSubAttr  // subscription.<attr>
	dimPlanAttr // plan.<attr>
)

// dimension is one configured breakdown.
type dimension struct {
	name string
	kind dimKind
	attr string
}

func (d dimension) customerLevel() bool {
	return d.kind == dimCustomerField || d.kind == dimCustomerAttr
}

// parseDimensions maps configured names to dimensions (docs/metrics.md lists the rules).
func parseDimensions(names []string) ([]dimension, error) {
	var dims []dimension
	seen := map[string]bool{}
	for _, raw := range names {
		n := strings.TrimSpace(raw)
		if n == "" || n == All || n == CostCategory {
			return nil, fmt.Errorf("metrics: dimension %q is not allowed (reserved or empty)", raw)
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		d := dimension{name: n}
		switch {
		case n == "plan":
			d.kind = dimPlan
		case n == "product":
			d.kind = dimProduct
		case n == "billing_interval":
			d.kind = dimInterval
		case n == "currency":
			d.kind = dimCurrency
		case strings.HasPrefix(n, "subscription."):
			d.kind, d.attr = dimSubAttr, strings.TrimPrefix(n, "subscription.")
		case strings.HasPrefix(n, "plan."):
			d.kind, d.attr = dimPlanAttr, strings.TrimPrefix(n, "plan.")
		case strings.HasPrefix(n, "customer."):
			d.kind, d.attr = dimCustomerAttr, strings.TrimPrefix(n, "customer.")
		default:
			if f, ok := canonical.SchemaOf(canonical.Customers).Field(n); ok && f.Kind == canonical.KindString {
				d.kind, d.attr = dimCustomerField, n
			} else {
				d.kind, d.attr = dimCustomerAttr, n
			}
		}
		if d.attr == "" && (d.kind == dimSubAttr || d.kind == dimPlanAttr || d.kind == dimCustomerAttr) {
			return nil, fmt.Errorf("metrics: dimension %q names no attribute", raw)
		}
		dims = append(dims, d)
	}
	return dims, nil
}

// customerSegment returns the customer's segment for a customer-level dimension.
func customerSegment(d dimension, c *canonical.Customer) string {
	if c == nil {
		return NoneSegment
	}
	if d.kind == dimCustomerField {
		var v string
		switch d.attr {
		case "name":
			v = c.Name
		case "email":
			v = c.Email
		case "company":
			v = c.Company
		case "country":
			v = c.Country
		case "state":
			v = c.State
		case "city":
			v = c.City
		}
		if v == "" {
			return NoneSegment
		}
		return v
	}
	return attrSegment(c.Attributes, d.attr)
}

// attrSegment renders an attribute value as a segment name.
func attrSegment(a canonical.Attributes, name string) string {
	v, ok := a[name]
	if !ok || v == nil {
		return NoneSegment
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case time.Time:
		s = x.UTC().Format(time.RFC3339)
	case *time.Time:
		s = x.UTC().Format(time.RFC3339)
	case decimal.Decimal:
		s = x.String()
	default:
		s = fmt.Sprint(x)
	}
	if s == "" {
		return NoneSegment
	}
	return s
}

// intervalName renders a plan interval for the billing_interval dimension.
func intervalName(p *canonical.Plan) string {
	if p == nil {
		return "month"
	}
	if p.IntervalCount <= 1 {
		return string(p.IntervalUnit)
	}
	return fmt.Sprintf("%d %ss", p.IntervalCount, p.IntervalUnit)
}
