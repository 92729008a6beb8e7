package canonical

// Rejection is an input record that was not accepted, kept with the reason in plain words
// and the raw input so that nothing is lost (SPEC §1). It is a value, not an error: a
// rejection never aborts the other records.
type Rejection struct {
	Source     string
	Entity     Entity
	ExternalID string
	Reason     string
	Raw        string
}
