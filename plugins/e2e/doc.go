// Package e2e holds end-to-end tests of connector plugins: full syncs through the sync
// runner into a real DuckDB file, with the plugins launched through the real go-plugin
// handshake. It has no code of its own.
package e2e
