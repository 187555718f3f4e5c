package delivery

import "errors"

var (
	// ErrInvalidAddress is returned for an address that does not parse, or
	// that would not go on the wire as exactly one mailbox (CR, LF, angle
	// brackets, quoted local parts, ...). It is never retried.
	ErrInvalidAddress = errors.New("delivery: invalid address")
	// ErrInvalidMessage is returned for a message that cannot be sent as it
	// is: no job, period, recipient or body, or a missing attachment.
	ErrInvalidMessage = errors.New("delivery: invalid message")
	// ErrAttachmentTooLarge is returned when the attachments together exceed
	// SMTPConfig.MaxAttachmentBytes. No mail is sent without them.
	ErrAttachmentTooLarge = errors.New("delivery: attachments too large")
	// ErrInvalidConfig is returned by NewSMTPSender for an unusable config,
	// and by Deliver for a Deliverer without Sender or Ledger.
	ErrInvalidConfig = errors.New("delivery: invalid config")
	// ErrUndelivered is returned by Deliver when at least one recipient
	// ended failed; the Report says which and why.
	ErrUndelivered = errors.New("delivery: not delivered")
	// ErrJournaled is returned by Deliver when the server accepted a message
	// but the ledger could not record it until the deadline: the fact is in
	// the Journal, and no further recipient was tried.
	ErrJournaled = errors.New("delivery: ledger down, sent delivery kept in the journal")
)
