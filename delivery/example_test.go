package delivery_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
)

func ExampleMessageID() {
	// The same job, period and recipient always give the same ID.
	fmt.Println(delivery.MessageID("monthly", "2026-10", "ceo@example.com", "example.com"))
	fmt.Println(delivery.MessageID("monthly", "2026-10", "ceo@example.com", "example.com") ==
		delivery.MessageID("monthly", "2026-10", "cfo@example.com", "example.com"))
	// Output:
	// <dafd2129dd48931eec86b2b3cd2a6212@example.com>
	// false
}

func ExampleResendMessageID() {
	// A resend differs from the first mail, and from every other resend.
	first := delivery.MessageID("monthly", "2026-10", "ceo@example.com", "example.com")
	again := delivery.ResendMessageID("monthly", "2026-10", "ceo@example.com", "example.com", 1)
	fmt.Println(first != again)
	fmt.Println(again == delivery.ResendMessageID("monthly", "2026-10", "ceo@example.com", "example.com", 2))
	// Output:
	// true
	// false
}

func ExampleSecret() {
	cfg := delivery.SMTPConfig{Host: "smtp.example.com", Username: "reports", Password: "hunter2"}
	fmt.Printf("%v\n", cfg.Password)
	fmt.Printf("%q\n", cfg.Password)
	// Output:
	// <secret>
	// "<secret>"
}

func ExampleNewSMTPSender() {
	sender, err := delivery.NewSMTPSender(delivery.SMTPConfig{
		Host:               "smtp.example.com", // STARTTLS on 587 by default
		Username:           "reports",
		Password:           delivery.Secret(os.Getenv("SMTP_PASSWORD")),
		MaxAttachmentBytes: 20 << 20,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sender)
	// Output: SMTPSender{smtp.example.com:587}
}

func ExampleDeliverer_Deliver() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kpireport-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := ledger.Open(ctx, filepath.Join(dir, "state", "ledger.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	run, err := l.StartRun(ctx, "monthly", "2026-10", ledger.TriggerScheduled)
	if err != nil {
		log.Fatal(err)
	}

	d := &delivery.Deliverer{
		Sender: delivery.NewOutbox(filepath.Join(dir, "outbox")), // or an *SMTPSender
		Ledger: l,
		Policy: delivery.Policy{Retries: 3, Backoff: time.Second},
	}
	m := &delivery.Message{
		Job: "monthly", Period: "2026-10",
		From:    "KPI Reports <reports@example.com>",
		To:      []string{"ceo@example.com"},
		Bcc:     []string{"archive@example.com"},
		Subject: "KPI report October 2026",
		Text:    "Revenue is up.",
		HTML:    "<p>Revenue is up.</p>",
	}
	rep, err := d.Deliver(ctx, run.ID, m, false)
	fmt.Println("sent:", rep.Sent, err)

	// A second run for the same period sends nothing again.
	rep, err = d.Deliver(ctx, run.ID, m, false)
	fmt.Println("sent:", rep.Sent, "skipped:", rep.Skipped, err)
	// Output:
	// sent: [ceo@example.com archive@example.com] <nil>
	// sent: [] skipped: [ceo@example.com archive@example.com] <nil>
}
