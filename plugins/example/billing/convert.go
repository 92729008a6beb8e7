package billing

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

// The shapes of Ledgerly's export lines.
type (
	customerLine struct {
		ID        string         `json:"id"`
		Name      string         `json:"name"`
		Email     string         `json:"email"`
		Company   string         `json:"company"`
		Country   string         `json:"country"`
		City      string         `json:"city"`
		CreatedAt string         `json:"created_at"`
		UpdatedAt string         `json:"updated_at"`
		Deleted   bool           `json:"deleted"`
		Metadata  map[string]any `json:"metadata"`
	}
	planLine struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Interval  string `json:"interval"`
		Every     int64  `json:"every"`
		UpdatedAt string `json:"updated_at"`
	}
	invoiceLine struct {
		ID         string     `json:"id"`
		CustomerID string     `json:"customer_id"`
		IssuedOn   string     `json:"issued_on"`
		DueOn      string     `json:"due_on"`
		Currency   string     `json:"currency"`
		Status     string     `json:"status"`
		UpdatedAt  string     `json:"updated_at"`
		Lines      []itemLine `json:"lines"`
	}
	itemLine struct {
		ID             string       `json:"id"`
		Kind           string       `json:"kind"`
		SubscriptionID string       `json:"subscription_id"`
		PlanID         string       `json:"plan_id"`
		PeriodStart    string       `json:"period_start"`
		PeriodEnd      string       `json:"period_end"`
		AmountCents    *json.Number `json:"amount_cents"`
		TaxCents       *json.Number `json:"tax_cents"`
		DiscountCents  *json.Number `json:"discount_cents"`
		Quantity       int64        `json:"quantity"`
		Prorated       bool         `json:"prorated"`
		Description    string       `json:"description"`
	}
	transactionLine struct {
		ID          string       `json:"id"`
		InvoiceID   string       `json:"invoice_id"`
		Kind        string       `json:"kind"`
		Outcome     string       `json:"outcome"`
		CreatedAt   string       `json:"created_at"`
		AmountCents *json.Number `json:"amount_cents"`
		Currency    string       `json:"currency"`
		UpdatedAt   string       `json:"updated_at"`
	}
)

func convertCustomer(line []byte) ([]connectors.Record, time.Time, error) {
	var c customerLine
	if err := decode(line, &c); err != nil {
		return nil, time.Time{}, err
	}
	updated, err := updatedAt(c.UpdatedAt)
	if err != nil {
		return nil, updated, err
	}
	if c.Deleted {
		return []connectors.Record{{Entity: canonical.Customers, Fields: map[string]string{"external_id": c.ID}, Deleted: true, Raw: string(line)}}, updated, nil
	}
	attrs, err := attributes(c.Metadata)
	if err != nil {
		return nil, updated, err
	}
	return []connectors.Record{{
		Entity: canonical.Customers,
		Fields: map[string]string{
			"external_id": c.ID, "name": c.Name, "email": c.Email, "company": c.Company,
			"country": c.Country, "city": c.City, "created_at": c.CreatedAt,
		},
		Attributes: attrs,
		Raw:        string(line),
	}}, updated, nil
}

func convertPlan(line []byte) ([]connectors.Record, time.Time, error) {
	var p planLine
	if err := decode(line, &p); err != nil {
		return nil, time.Time{}, err
	}
	updated, err := updatedAt(p.UpdatedAt)
	if err != nil {
		return nil, updated, err
	}
	every := ""
	if p.Every != 0 {
		every = strconv.FormatInt(p.Every, 10)
	}
	return []connectors.Record{{
		Entity: canonical.Plans,
		Fields: map[string]string{"external_id": p.ID, "name": p.Name, "interval_unit": p.Interval, "interval_count": every},
		Raw:    string(line),
	}}, updated, nil
}

// ledgerlyLineTypes maps Ledgerly's line kinds onto canonical line types.
var ledgerlyLineTypes = map[string]string{"recurring": "subscription", "charge": "one_time", "trial": "trial"}

func convertInvoice(line []byte) ([]connectors.Record, time.Time, error) {
	var inv invoiceLine
	if err := decode(line, &inv); err != nil {
		return nil, time.Time{}, err
	}
	updated, err := updatedAt(inv.UpdatedAt)
	if err != nil {
		return nil, updated, err
	}
	currency := strings.ToUpper(inv.Currency)
	recs := []connectors.Record{{
		Entity: canonical.Invoices,
		Fields: map[string]string{
			"external_id": inv.ID, "customer_external_id": inv.CustomerID, "date": inv.IssuedOn,
			"due_date": inv.DueOn, "currency": currency, "status": inv.Status,
		},
		Raw: string(line),
	}}
	for i, l := range inv.Lines {
		rec, err := convertItem(inv.ID, currency, l)
		if err != nil {
			return nil, updated, errors.New("lines[" + strconv.Itoa(i) + "]: " + err.Error())
		}
		recs = append(recs, rec)
	}
	return recs, updated, nil
}

func convertItem(invoiceID, currency string, l itemLine) (connectors.Record, error) {
	amount, err := cents(l.AmountCents, currency)
	if err != nil {
		return connectors.Record{}, err
	}
	tax, err := cents(l.TaxCents, currency)
	if err != nil {
		return connectors.Record{}, err
	}
	discount, err := cents(l.DiscountCents, currency)
	if err != nil {
		return connectors.Record{}, err
	}
	typ, ok := ledgerlyLineTypes[l.Kind]
	if !ok {
		typ = l.Kind // unknown kinds reach revsync, which rejects them with a reason
	}
	quantity := ""
	if l.Quantity != 0 {
		quantity = strconv.FormatInt(l.Quantity, 10)
	}
	raw, _ := json.Marshal(l)
	return connectors.Record{
		Entity: canonical.InvoiceLines,
		Fields: map[string]string{
			"external_id": l.ID, "invoice_external_id": invoiceID, "type": typ,
			"subscription_external_id": l.SubscriptionID, "plan_external_id": l.PlanID,
			"service_period_start": l.PeriodStart, "service_period_end": l.PeriodEnd,
			"amount": amount, "tax_amount": tax, "discount_amount": discount,
			"quantity": quantity, "prorated": strconv.FormatBool(l.Prorated), "description": l.Description,
		},
		Raw: string(raw),
	}, nil
}

// ledgerlyOutcomes maps Ledgerly's transaction outcomes onto canonical results.
var ledgerlyOutcomes = map[string]string{"succeeded": "successful", "failed": "failed"}

func convertTransaction(line []byte) ([]connectors.Record, time.Time, error) {
	var t transactionLine
	if err := decode(line, &t); err != nil {
		return nil, time.Time{}, err
	}
	updated, err := updatedAt(t.UpdatedAt)
	if err != nil {
		return nil, updated, err
	}
	amount, err := cents(t.AmountCents, strings.ToUpper(t.Currency))
	if err != nil {
		return nil, updated, err
	}
	result, ok := ledgerlyOutcomes[t.Outcome]
	if !ok {
		result = t.Outcome
	}
	date := t.CreatedAt
	if len(date) >= 10 {
		date = date[:10] // the day of an RFC 3339 timestamp, as Ledgerly writes it in UTC
	}
	return []connectors.Record{{
		Entity: canonical.Transactions,
		Fields: map[string]string{
			"external_id": t.ID, "invoice_external_id": t.InvoiceID, "type": t.Kind,
			"result": result, "date": date, "amount": amount,
		},
		Raw: string(line),
	}}, updated, nil
}
