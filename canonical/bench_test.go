package canonical

import (
	"fmt"
	"testing"
)

// BenchmarkParse measures canonical.Parse on the field maps connectors deliver: an
// invoice line (dates, three amounts, enums, defaults) and a customer (timestamps,
// country), reporting records/s and allocations per record.
func BenchmarkParse(b *testing.B) {
	cases := []struct {
		entity Entity
		fields func(i int) map[string]string
	}{
		{InvoiceLines, func(i int) map[string]string {
			return map[string]string{
				"external_id": fmt.Sprintf("li_%08d", i), "invoice_external_id": fmt.Sprintf("inv_%08d", i),
				"type": "subscription", "subscription_external_id": fmt.Sprintf("sub_%07d", i/3),
				"plan_external_id": "pro-monthly", "service_period_start": "2024-01-01", "service_period_end": "2024-02-01",
				"amount": "99.00", "tax_amount": "18.81", "discount_amount": "", "quantity": "1", "prorated": "false",
				"description": "Pro plan (monthly)",
			}
		}},
		{Customers, func(i int) map[string]string {
			return map[string]string{
				"external_id": fmt.Sprintf("cus_%07d", i), "name": "Acme Inc", "email": "billing@acme.test",
				"company": "Acme", "country": "de", "state": "", "city": "Berlin",
				"created_at": "2024-01-10T12:30:00Z", "lead_created_at": "", "free_trial_started_at": "",
			}
		}},
	}
	for _, c := range cases {
		b.Run(string(c.entity), func(b *testing.B) {
			inputs := make([]map[string]string, 1024)
			for i := range inputs {
				inputs[i] = c.fields(i)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := Parse(c.entity, "csv", inputs[n%len(inputs)], nil); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
