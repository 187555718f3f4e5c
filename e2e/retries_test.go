package e2e

import (
	"fmt"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestDeliveryRetries checks `[delivery] retries` against a server that always
// answers 451: each recipient gets 1 + retries attempts, and stays failed-temporary.
// config.example.toml documents retries = 0 as "no retries".
func TestDeliveryRetries(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 2} {
		t.Run(fmt.Sprintf("retries=%d", retries), func(t *testing.T) {
			t.Parallel()
			srv := startMailServer(t, func(ms *mailServer) {
				ms.Rcpt = func(string, string, string) error {
					return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
				}
			})
			cfg := demoCompany(t, "csv")
			useSMTP(t, cfg, srv.Port, "", "")
			editConfig(t, cfg, "retries = 1\n", fmt.Sprintf("retries = %d\n", retries))

			res := kpireport(t, nil, generateSend(cfg)...)
			if res.code != 1 {
				t.Errorf("want exit 1, got %s", res)
			}
			want := 1 + retries
			if got := srv.Connections(); got != want*len(demoRecipients) {
				t.Errorf("retries = %d: the server saw %d connections, want %d (%d per recipient; "+
					"config.example.toml documents 0 as no retries)", retries, got, want*len(demoRecipients), want)
			}
			hist := historyOf(t, nil, cfg)
			if len(hist.Deliveries) != len(demoRecipients) {
				t.Fatalf("history: want %d deliveries, got %+v", len(demoRecipients), hist.Deliveries)
			}
			for _, d := range hist.Deliveries {
				if d.Status != "failed-temporary" || d.Attempts != want {
					t.Errorf("history: want failed-temporary with attempts %d: %s", want, d.Line)
				}
			}
		})
	}
}
