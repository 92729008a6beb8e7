// Package canonical defines revsync's canonical billing model (SPEC §1): the entities and
// their schemas, parsing and validation of the text values connectors deliver, exact money
// (decimal in major units at the edges, int64 minor units with ISO 4217 exponents inside)
// and civil UTC dates. It performs no I/O and knows no connector or warehouse.
package canonical
