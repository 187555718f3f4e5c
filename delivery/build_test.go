package delivery

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuildMsg(t *testing.T) {
	tests := []struct {
		name      string
		modify    func(m *Message)
		wantTypes []string
		wantTo    string
		wantCc    string
	}{
		{"text and html", func(*Message) {}, []string{"text/plain", "text/html"}, "<a@example.com>", "<b@example.com>"},
		{"text only", func(m *Message) { m.HTML = "" }, []string{"text/plain"}, "<a@example.com>", "<b@example.com>"},
		{"html only", func(m *Message) { m.Text = "" }, []string{"text/html"}, "<a@example.com>", "<b@example.com>"},
		{"bcc only", func(m *Message) { m.To, m.Cc = nil, nil }, []string{"text/plain", "text/html"}, "undisclosed-recipients:;", ""},
		{"invalid visible address left out", func(m *Message) { m.To = append(m.To, "not an address") }, []string{"text/plain", "text/html"}, "<a@example.com>", "<b@example.com>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage([]string{"a@example.com"}, []string{"b@example.com"}, []string{"c@example.com"})
			tt.modify(m)
			msg, err := buildMsg(m, "c@example.com", "<id@example.com>", time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), 0)
			if err != nil {
				t.Fatal(err)
			}
			if rcpts, err := msg.GetRecipients(); err != nil || !cmp.Equal(rcpts, []string{"<c@example.com>"}) {
				t.Errorf("envelope recipients = %v, %v; want only c", rcpts, err)
			}
			var buf bytes.Buffer
			if _, err := msg.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			pm := parseMail(t, buf.Bytes())
			var types []string
			for _, p := range pm.Parts {
				types = append(types, p.ContentType)
			}
			if diff := cmp.Diff(tt.wantTypes, types); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			if got := pm.Header.Get("To"); got != tt.wantTo {
				t.Errorf("To = %q, want %q", got, tt.wantTo)
			}
			if got := pm.Header.Get("Cc"); got != tt.wantCc {
				t.Errorf("Cc = %q, want %q", got, tt.wantCc)
			}
			if got := pm.Header.Get("Date"); got != "Sun, 01 Nov 2026 06:00:00 +0000" {
				t.Errorf("Date = %q", got)
			}
		})
	}
}

func TestDeliverDeduplicatesRecipients(t *testing.T) {
	d, _, _ := testDeliverer(t, NewOutbox(t.TempDir()))
	m := testMessage([]string{"Ann <Ann@Example.COM>", "ann@example.com"}, []string{"ANN@example.com", "b@example.com"}, []string{"b@example.com"})
	rep, err := d.Deliver(t.Context(), startRun(t, d.Ledger, m), m, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ann@example.com", "b@example.com"}, rep.Sent); diff != "" {
		t.Errorf("Sent (-want +got):\n%s", diff)
	}
	if row := delivery(t, d.Ledger, m, "b@example.com"); row.Kind != "cc" {
		t.Errorf("b kind = %s, want cc (the first list it appears in)", row.Kind)
	}
}
