package ledger

import (
	"context"
	"fmt"
	"time"
)

// ScheduleSince returns since when the daemon has been scheduling job: the time of
// the first call for that job, which it records. Catch-up looks for missed periods
// only after it.
func (l *Ledger) ScheduleSince(ctx context.Context, job string, now time.Time) (time.Time, error) {
	if _, err := l.db.ExecContext(ctx,
		l.q(`INSERT INTO job_schedules (job, since) VALUES (?, ?) ON CONFLICT (job) DO NOTHING`),
		job, formatTime(now)); err != nil {
		return time.Time{}, fmt.Errorf("ledger: record schedule of %s: %w", job, err)
	}
	var s string
	if err := l.db.QueryRowContext(ctx, l.q(`SELECT since FROM job_schedules WHERE job = ?`), job).Scan(&s); err != nil {
		return time.Time{}, fmt.Errorf("ledger: read schedule of %s: %w", job, err)
	}
	return parseTime(s)
}
