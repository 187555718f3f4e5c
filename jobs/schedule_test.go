package jobs

import (
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
)

// TestScheduleMatchesGocron checks that FireTimes, which catch-up and `kpireport next`
// use, fires exactly when the daemon's gocron job does, across two years of DST
// changes, for schedules at times that do not exist on spring-forward days and occur
// twice on fall-back days.
func TestScheduleMatchesGocron(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		schedule string
		loc      *time.Location
	}{
		{"0 7 1 * *", amsterdam},
		{"0 7 * * 1", amsterdam},
		{"30 2 * * *", amsterdam},
		{"30 2 * * 0", amsterdam}, // Sundays: both DST changes fall on one
		{"15 2 1-31 3,10 *", amsterdam},
		{"0 2 * * *", amsterdam},
		{"30 1 * * *", newYork},
		{"30 2 * * 0", newYork},
		{"0 0 1 1,4,7,10 *", amsterdam},
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(2, 0, 0)
	for _, tt := range tests {
		t.Run(tt.loc.String()+" "+tt.schedule, func(t *testing.T) {
			clock := clockwork.NewFakeClockAt(start)
			s, err := gocron.NewScheduler(gocron.WithLocation(tt.loc), gocron.WithClock(clock))
			if err != nil {
				t.Fatal(err)
			}
			j, err := s.NewJob(gocron.CronJob(tt.schedule, false), gocron.NewTask(func() {}),
				gocron.WithName("test"),
				gocron.WithDaylightSavingsTimePolicy(gocron.DaylightSavingsTimeRunAfterTransition))
			if err != nil {
				t.Fatal(err)
			}
			s.Start()
			defer func() {
				if err := s.Shutdown(); err != nil {
					t.Error(err)
				}
			}()
			want, err := FireTimes(tt.schedule, tt.loc, start, end, 2000)
			if err != nil {
				t.Fatal(err)
			}
			got, err := j.NextRuns(len(want) + 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < len(want) {
				t.Fatalf("gocron has %d runs, FireTimes %d", len(got), len(want))
			}
			for i := range want {
				if !got[i].Equal(want[i]) {
					t.Fatalf("run %d: gocron at %v, FireTimes at %v", i, got[i].In(tt.loc), want[i].In(tt.loc))
				}
			}
			if !got[len(want)].After(end) && !got[len(want)].Equal(end) {
				t.Errorf("gocron runs at %v, FireTimes stops before", got[len(want)])
			}
			next, err := NextRun(tt.schedule, tt.loc, start)
			if err != nil || !next.Equal(want[0]) {
				t.Errorf("NextRun = %v, %v; want %v", next, err, want[0])
			}
		})
	}
}

// TestFireTimesDST pins the firings of a 02:30 job around the DST changes in
// Amsterdam: once on the spring-forward day, just after the change, and once on the
// fall-back day.
func TestFireTimesDST(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"spring forward", time.Date(2027, 3, 27, 0, 0, 0, 0, amsterdam), time.Date(2027, 3, 30, 0, 0, 0, 0, amsterdam),
			[]string{"2027-03-27T02:30:00+01:00", "2027-03-28T03:30:00+02:00", "2027-03-29T02:30:00+02:00"}},
		{"fall back", time.Date(2026, 10, 24, 0, 0, 0, 0, amsterdam), time.Date(2026, 10, 27, 0, 0, 0, 0, amsterdam),
			[]string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fires, err := FireTimes("30 2 * * *", amsterdam, tt.from, tt.to, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fires {
				got = append(got, f.In(amsterdam).Format(time.RFC3339))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("fires %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("fires %v, want %v", got, tt.want)
					break
				}
			}
		})
	}
}

// lastFire finds the same latest firing as walking FireTimes from since, for
// frequent and sparse schedules and for a since close to now or far before it.
func TestLastFire(t *testing.T) {
	now := time.Date(2026, 11, 17, 9, 30, 0, 0, amsterdam)
	tests := []struct {
		schedule string
		since    time.Time
	}{
		{"* * * * *", now.AddDate(-1, 0, 0)},
		{"*/7 * * * *", now.Add(-3 * time.Minute)},
		{"0 7 1 * *", now.AddDate(-2, 0, 0)},
		{"0 7 1 * *", time.Date(2026, 11, 1, 7, 0, 0, 0, amsterdam)}, // a firing at since counts
		{"0 7 1 * *", time.Date(2026, 11, 1, 7, 0, 1, 0, amsterdam)}, // none since
		{"0 7 * * 1", now.AddDate(0, -1, 0)},
		{"30 9 17 11 *", now.AddDate(-3, 0, 0)}, // at now: not before it
		{"0 0 1 1,4,7,10 *", now.AddDate(-5, 0, 0)},
		{"0 0 29 2 *", now.AddDate(-6, 0, 0)}, // leap days only
		{"0 7 1 * *", now},
	}
	for _, tt := range tests {
		t.Run(tt.schedule+" since "+tt.since.Format(time.DateTime), func(t *testing.T) {
			all, err := FireTimes(tt.schedule, amsterdam, tt.since, now, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			got, ok, err := lastFire(tt.schedule, amsterdam, tt.since, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) == 0 {
				if ok {
					t.Errorf("lastFire = %v, want none", got)
				}
				return
			}
			if want := all[len(all)-1]; !ok || !got.Equal(want) {
				t.Errorf("lastFire = %v, %v; want %v", got, ok, want.In(amsterdam))
			}
		})
	}
}
