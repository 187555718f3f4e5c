package jobs

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// cronSchedule is a job's cron expression as the daemon's scheduler runs it, in the
// report's zone: a time that does not exist on a spring-forward day (02:30 when the
// clocks jump from 02:00 to 03:00) fires once, just after the change, and a time that
// occurs twice on a fall-back day fires once. This is gocron's CronJob with
// DaylightSavingsTimeRunAfterTransition; FireTimes and NextRun use it so that
// catch-up and `kpireport next` agree with the daemon on every day of the year.
type cronSchedule struct {
	sched cron.Schedule
	loc   *time.Location
}

func parseSchedule(schedule string, loc *time.Location) (cronSchedule, error) {
	sched, err := cron.ParseStandard("CRON_TZ=" + loc.String() + " " + schedule)
	if err != nil {
		return cronSchedule{}, fmt.Errorf("schedule %q: %w", schedule, err)
	}
	return cronSchedule{sched: sched, loc: loc}, nil
}

// next returns the first firing after last, or the zero time if there is none.
func (c cronSchedule) next(last time.Time) time.Time {
	last = last.In(c.loc)
	next := c.sched.Next(last)
	if next.IsZero() {
		return next
	}
	// Fall-back: the same wall-clock time again an hour later is the same firing.
	if sameWallClock(last, next) {
		next = c.sched.Next(next)
		if next.IsZero() {
			return next
		}
	}
	// Spring-forward: cron skips a wall-clock time that does not exist; run it just
	// after the change instead, on the day it was due.
	for day := last.AddDate(0, 0, 1); day.Before(next); day = day.AddDate(0, 0, 1) {
		h, m, s := next.Clock()
		cand := time.Date(day.Year(), day.Month(), day.Day(), h, m, s, 0, c.loc)
		ch, cm, cs := cand.Clock()
		if ch == h && cm == m && cs == s {
			continue // the time exists that day: cron had a reason to skip it
		}
		// time.Date moved the missing time back by the size of the gap; move it forward.
		shift := time.Duration(h-ch)*time.Hour + time.Duration(m-cm)*time.Minute + time.Duration(s-cs)*time.Second
		if shift > 0 {
			cand = cand.Add(shift)
		}
		if cand.After(last) && cand.Before(next) {
			return cand
		}
	}
	return next
}

func sameWallClock(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ah, amin, as := a.Clock()
	bh, bmin, bs := b.Clock()
	return ay == by && am == bm && ad == bd && ah == bh && amin == bmin && as == bs
}

// FireTimes returns the times in [from, to) at which a standard cron schedule fires
// in loc, as the daemon fires it (see cronSchedule), at most max of them.
func FireTimes(schedule string, loc *time.Location, from, to time.Time, max int) ([]time.Time, error) {
	c, err := parseSchedule(schedule, loc)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for t := c.next(from.Add(-time.Second)); !t.IsZero() && t.Before(to) && len(out) < max; t = c.next(t) {
		if !t.Before(from) {
			out = append(out, t)
		}
	}
	return out, nil
}

// NextRun returns the next time schedule fires after now, in loc, as the daemon
// fires it.
func NextRun(schedule string, loc *time.Location, now time.Time) (time.Time, error) {
	c, err := parseSchedule(schedule, loc)
	if err != nil {
		return time.Time{}, err
	}
	return c.next(now), nil
}

// lastFire returns the latest time in [since, now) at which schedule fires in loc,
// as the daemon fires it, and false if it fires at none. It looks back over a window
// that doubles until it holds a firing or reaches since, so that a frequent schedule
// is not walked from since.
func lastFire(schedule string, loc *time.Location, since, now time.Time) (time.Time, bool, error) {
	c, err := parseSchedule(schedule, loc)
	if err != nil {
		return time.Time{}, false, err
	}
	if !since.Before(now) {
		return time.Time{}, false, nil
	}
	for window := time.Hour; ; window *= 2 {
		from := since
		if now.Sub(since) > window {
			from = now.Add(-window)
		}
		var last time.Time
		for t := c.next(from.Add(-time.Second)); !t.IsZero() && t.Before(now); t = c.next(t) {
			if !t.Before(from) {
				last = t
			}
		}
		if !last.IsZero() {
			return last, true, nil
		}
		if from.Equal(since) {
			return time.Time{}, false, nil
		}
	}
}
