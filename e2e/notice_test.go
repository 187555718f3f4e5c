package e2e

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
)

// A 550 for one of four recipients: the operator's notice says who got the report,
// who did not and why (the server's reply), and gives the command that sends it to
// only the one missing; that command, run as given, mails only that recipient.
func TestFailureNoticeListsRecipients(t *testing.T) {
	t.Parallel()
	const bcc = "archief@voorbeeld.example"
	var refuse atomic.Bool
	refuse.Store(true)
	srv := startMailServer(t, func(ms *mailServer) {
		ms.Rcpt = refuseRcpt(&refuse, rcptFinance, 550, "5.1.1 mailbox finance is full for good")
	})
	cfg := demoCompany(t, "csv")
	useSMTP(t, cfg, srv.Port, "", fmt.Sprintf("operators = [%q]\n", operator))
	editConfig(t, cfg, `cc = ["sales@voorbeeld.example"]`, `cc = ["sales@voorbeeld.example"]`+"\n"+`bcc = ["`+bcc+`"]`)

	res := kpireport(t, nil, generateSend(cfg)...)
	if res.code != 1 {
		t.Fatalf("generate --send: want exit 1, got %s", res)
	}
	notices := srv.MessagesTo(operator)
	if len(notices) != 1 {
		t.Fatalf("%d failure notices, want 1; the server got %d messages", len(notices), len(srv.Messages()))
	}
	notice, _, _ := strings.Cut(mailText(t, notices[0].Data), "<pre>") // the text part
	if strings.Contains(notice, "Nothing was sent") {
		t.Errorf("the notice says nothing was sent, but 3 of 4 recipients got the report:\n%s", notice)
	}
	have, missing, _ := strings.Cut(notice, "These recipients do not have it")
	for _, r := range []string{rcptDirectie, rcptSales, bcc} {
		if !strings.Contains(have, r) || strings.Contains(missing, r) {
			t.Errorf("the notice does not list %s among those that have the report:\n%s", r, notice)
		}
	}
	if !strings.Contains(have, "These recipients have the report (3)") || !strings.Contains(missing, "(1)") {
		t.Errorf("the notice does not count 3 that have it and 1 that does not:\n%s", notice)
	}
	if !strings.Contains(missing, "to "+rcptFinance+": failed-permanent") || !strings.Contains(missing, "550") ||
		!strings.Contains(missing, "mailbox finance is full for good") {
		t.Errorf("the notice does not say why %s did not get it (the 550 reply):\n%s", rcptFinance, notice)
	}
	want := fmt.Sprintf("kpireport generate --config %s --job monthly --period 2026-10 --send", cfg)
	if !strings.Contains(notice, want) {
		t.Fatalf("the notice does not give the command %q:\n%s", want, notice)
	}

	// The mailbox is fixed; the command as given mails finance only.
	refuse.Store(false)
	before := len(srv.Messages())
	args := strings.Fields(strings.TrimPrefix(want, "kpireport "))
	res = mustRun(t, nil, args...)
	var got []received
	for _, m := range srv.Messages()[before:] {
		if m.Rcpts[0] != operator { // the notice that the report went out after all
			got = append(got, m)
		}
	}
	if len(got) != 1 || len(got[0].Rcpts) != 1 || got[0].Rcpts[0] != rcptFinance {
		var to [][]string
		for _, m := range got {
			to = append(to, m.Rcpts)
		}
		t.Errorf("the command sent to %v, want only %s\n%s", to, rcptFinance, res)
	}
	for _, r := range []string{rcptDirectie, rcptFinance, rcptSales, bcc} {
		if n := len(srv.MessagesTo(r)); n != 1 {
			t.Errorf("%s got %d reports, want 1", r, n)
		}
	}
}

// refuseRcpt is a mailServer.Rcpt that refuses rcpt with code and message while
// refuse is set, and accepts every other recipient.
func refuseRcpt(refuse *atomic.Bool, rcpt string, code int, msg string) func(to, user, pass string) error {
	return func(to, _, _ string) error {
		if to == rcpt && refuse.Load() {
			return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: msg}
		}
		return nil
	}
}
