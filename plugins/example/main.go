// Command revsync-connector-example is a revsync connector plugin for Ledgerly, a small
// fictional billing system, reading its JSON-lines export. It exists to show integrators
// how a plugin is written: the connector lives in package billing and implements the
// same connectors.Connector interface as revsync's built-ins; main only serves it.
package main

import (
	"github.com/revsync/revsync/plugins/example/billing"
	"github.com/revsync/revsync/plugins/sdk"
)

func main() {
	sdk.Serve(billing.New())
}
