package ledger

import (
	"context"
	"testing"
)

// Migration 6 rebuilds SQLite's runs table (and alters PostgreSQL's constraint)
// for the held status and the incomplete and forced flags: the runs, their
// artifacts and deliveries of an older ledger are kept, and foreign keys still
// hold afterwards.
func TestMigrationHeldKeepsRuns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		d := sqliteDialect
		if b.name == "postgres" {
			d = postgresDialect
		}
		db := b.newDB(t)
		// A ledger of version 5, with a run, its file and a delivery.
		all := d.migrations
		d.migrations = all[:5]
		old, err := b.open(ctx, db)
		d.migrations = all
		if err != nil {
			t.Fatal(err)
		}
		run, err := old.StartRun(ctx, "monthly", "2026-10", TriggerScheduled)
		if err != nil {
			t.Fatal(err)
		}
		if err := old.FinishRun(ctx, run.ID, RunSucceeded, "", []Artifact{{Path: "monthly-2026-10.pdf", SHA256: "ab", Bytes: 3}}); err != nil {
			t.Fatal(err)
		}
		if _, err := old.QueueDelivery(ctx, run.ID, "monthly", "2026-10", "a@example.nl", KindTo, "<a@example.nl>"); err != nil {
			t.Fatal(err)
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}

		l := openTest(t, b, db)
		if vs := schemaVersions(t, l); len(vs) != len(all) {
			t.Fatalf("schema versions %+v, want %d", vs, len(all))
		}
		runs, err := l.PeriodRuns(ctx, "monthly", "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].ID != run.ID || runs[0].Status != RunSucceeded || len(runs[0].Artifacts) != 1 || runs[0].Incomplete || runs[0].Forced {
			t.Fatalf("runs after the migration = %+v, want the old run with its file", runs)
		}
		if ds, err := l.Deliveries(ctx, "monthly", "2026-10"); err != nil || len(ds) != 1 {
			t.Fatalf("deliveries after the migration = %+v, %v", ds, err)
		}
		// The new status and flags are stored; a held or incomplete run is no success.
		held, err := l.StartRun(ctx, "monthly", "2026-11", TriggerScheduled)
		if err != nil {
			t.Fatal(err)
		}
		if held.ID <= run.ID {
			t.Errorf("new run id %d after the migration, not after %d", held.ID, run.ID)
		}
		if err := l.FinishRun(ctx, held.ID, RunHeld, "held: 0 orders in the period", nil); err != nil {
			t.Fatal(err)
		}
		toDate, err := l.StartRun(ctx, "monthly", "2026-11", TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.SetRunFlags(ctx, toDate.ID, RunFlags{Incomplete: true, Forced: true}); err != nil {
			t.Fatal(err)
		}
		if err := l.FinishRun(ctx, toDate.ID, RunSucceeded, "", nil); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := l.LastSuccess(ctx, "monthly", "2026-11"); err != nil || ok {
			t.Errorf("LastSuccess of a period with a held and an incomplete run = %v, %v; want none", ok, err)
		}
		runs, err = l.PeriodRuns(ctx, "monthly", "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || !runs[0].Incomplete || !runs[0].Forced || runs[1].Status != RunHeld || runs[1].Error != "held: 0 orders in the period" {
			t.Errorf("runs = %+v", runs)
		}
		// Foreign keys hold: a file of a run that does not exist is refused.
		if _, err := l.db.ExecContext(context.Background(), l.q(`INSERT INTO artifacts (run_id, seq, path, sha256, bytes) VALUES (?, 0, 'x', 'y', 1)`), 9999); err == nil {
			t.Error("an artifact of a missing run was accepted: foreign keys are off")
		}
	})
}
