package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kpireport/kpireport/ledger"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The folder is created; opening again later is a no-op for the schema.
	l, err := ledger.Open(ctx, filepath.Join(dir, "state", "ledger.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	run, err := l.StartRun(ctx, "monthly", "2026-10", ledger.TriggerScheduled)
	if err != nil {
		log.Fatal(err)
	}
	err = l.FinishRun(ctx, run.ID, ledger.RunSucceeded, "", []ledger.Artifact{
		{Path: "out/monthly-2026-10.pdf", SHA256: "e3b0c442", Bytes: 48213},
	})
	if err != nil {
		log.Fatal(err)
	}
	last, ok, err := l.LastSuccess(ctx, "monthly", "2026-10")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ok, last.Attempt, last.Status, last.Artifacts[0].Path)
	// Output: true 1 succeeded out/monthly-2026-10.pdf
}

func ExampleLedger_QueueDelivery() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	l, err := ledger.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	run, err := l.StartRun(ctx, "monthly", "2026-10", ledger.TriggerScheduled)
	if err != nil {
		log.Fatal(err)
	}

	d, err := l.QueueDelivery(ctx, run.ID, "monthly", "2026-10", "ceo@example.com", ledger.KindTo, "<id@example.com>")
	if err != nil {
		log.Fatal(err)
	}
	if err := l.MarkAttempt(ctx, d.ID, ledger.DeliveryFailedTemp, "451 4.3.0 try again later", time.Now()); err != nil {
		log.Fatal(err)
	}
	pending, err := l.Pending(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(pending), pending[0].Recipient, pending[0].Status, pending[0].Attempts)

	// Queueing the same recipient again reuses the row.
	again, err := l.QueueDelivery(ctx, run.ID, "monthly", "2026-10", "ceo@example.com", ledger.KindTo, "<id@example.com>")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.ID == d.ID, again.Status)
	// Output:
	// 1 ceo@example.com failed-temporary 1
	// true queued
}

func ExampleOpenPostgres() {
	ctx := context.Background()
	// The DSN comes from the environment, never from a file; search_path
	// selects the schema the ledger's tables live in.
	l, err := ledger.OpenPostgres(ctx, os.Getenv("KPIREPORT_STATE_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Println(l.Driver())
}

func ExampleLedger_Claim() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	l, err := ledger.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	now := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)
	lease := 2 * time.Minute
	a, _ := l.Claim(ctx, "monthly", "2026-10", "replica-a", lease, now)
	b, _ := l.Claim(ctx, "monthly", "2026-10", "replica-b", lease, now)
	claim, _, _ := l.ClaimOf(ctx, "monthly", "2026-10")
	fmt.Println(a, b, claim.Node)

	// replica-a dies without releasing; once its lease ends, replica-b takes over.
	b, _ = l.Claim(ctx, "monthly", "2026-10", "replica-b", lease, now.Add(lease))
	renewed, _ := l.Renew(ctx, "monthly", "2026-10", "replica-a", lease, now.Add(lease))
	fmt.Println(b, renewed)
	// Output:
	// true false replica-a
	// true false
}
