// Package delivery gets a rendered report to each recipient exactly once,
// with retries.
//
// A [Sender] makes one attempt at one recipient and says whether a failure
// is worth retrying, because only it understands its errors: an SMTP 4xx or a
// dropped connection is, a 5xx or a malformed address is not. The
// [Deliverer] owns the one retry loop: it asks the [ledger.Ledger] which
// recipients still need the report, sends to each in its own transaction,
// backs off and retries the temporary failures, and records every attempt
// in the ledger before it returns.
//
// Exactly once holds as far as the ledger can see: a process that dies after
// the server accepted a message but before the ledger recorded it will send
// that message again on resume. Each recipient's Message-ID is derived from
// (job, period, recipient) by [MessageID], so a repeat carries the same ID
// and mail systems that deduplicate on it can drop it. A resend on purpose
// is a new message and carries [ResendMessageID] instead.
package delivery
