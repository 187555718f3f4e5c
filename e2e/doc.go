// Package e2e holds kpireport's end-to-end tests: they build the kpireport binary, run
// it as a separate process against a demo company, and check what reaches real servers
// (Mailpit, an in-process SMTP server) and the ledger. The package has no code of its
// own; see the _test.go files.
package e2e
