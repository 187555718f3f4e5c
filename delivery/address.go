package delivery

import (
	"fmt"
	"net/mail"

	"github.com/kpireport/kpireport/delivery/mailaddr"
)

// parseAddress parses one address, "Name <addr>" or "addr", with the one
// address check config validation uses too (mailaddr.Parse): a dot-atom
// local part and a host name, so exactly one RCPT is ever sent per address
// and an address that validated is never refused here.
func parseAddress(s string) (*mail.Address, error) {
	a, err := mailaddr.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	return a, nil
}

// addressDomain returns the domain of a parsed address.
func addressDomain(a *mail.Address) string { return mailaddr.Domain(a) }
