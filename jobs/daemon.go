package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/ledger"
	"github.com/kpireport/kpireport/period"
)

// DefaultGrace is how long a stopping daemon lets a run in flight finish before it
// cancels it.
const DefaultGrace = 30 * time.Second

// resumeJob is the gocron name of the daemon's periodic resume of owed deliveries
// and retry of failed runs. The space keeps it apart from every job name.
const resumeJob = "resume deliveries"

// Daemon schedules every job of the config with gocron in the report's time zone and
// runs it through the Service. At start it resumes unsent deliveries and catches up on
// periods missed while it was down; while it runs it looks every [delivery]
// resume_interval for unsent deliveries to resume and for a due period whose run
// failed, and runs each again after a wait that grows with its failed runs in a row. The ledger, not the scheduler, decides whether a period was
// already done, so a schedule that fires twice (DST, restarts) sends once.
//
// Several daemons (replicas) can share one PostgreSQL ledger. Every replica's schedule
// fires; the Service's claim on the (job, period) in the ledger decides which one runs
// it. A replica that
// finds the period claimed by another looks again after a lease and takes the period
// over if it is still not done: the other replica may have died in the middle of it.
type Daemon struct {
	Service *Service
	Clock   clockwork.Clock // nil = the real clock
	Grace   time.Duration   // 0 = DefaultGrace

	mu       sync.Mutex
	inFlight sync.WaitGroup
	stopping bool
	stop     <-chan struct{}                // closed when the daemon stops
	watching map[string]bool                // (job, period) keys a takeOver waits on
	fired    func(job string, at time.Time) // test hook: the schedule fired
	// schedule is a test hook: the gocron schedule of a job instead of its cron
	// expression, such as every second.
	schedule func(job *config.Job) gocron.JobDefinition
}

func (d *Daemon) clock() clockwork.Clock {
	if d.Clock == nil {
		return clockwork.NewRealClock()
	}
	return d.Clock
}

func (d *Daemon) log() *slog.Logger { return d.Service.Runner.logger() }

// Run runs the daemon until ctx ends, then stops scheduling, lets the run in flight
// finish within the grace period (or cancels it through its context) and returns
// with the ledger consistent.
func (d *Daemon) Run(ctx context.Context) error {
	cfg := d.Service.Runner.Config
	clock := d.clock()
	d.Service.Runner.Now = clock.Now
	grace := d.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	// Runs get their own context, cancelled only when the grace period is over.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRuns()
	d.mu.Lock()
	d.stop = ctx.Done()
	d.mu.Unlock()

	opts := []gocron.SchedulerOption{
		gocron.WithLocation(cfg.Report.Location),
		gocron.WithClock(clock),
		gocron.WithStopTimeout(grace),
	}
	s, err := gocron.NewScheduler(opts...)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	for i := range cfg.Jobs {
		job := &cfg.Jobs[i]
		def := gocron.CronJob(job.Schedule, false)
		if d.schedule != nil {
			def = d.schedule(job)
		}
		_, err := s.NewJob(
			def,
			gocron.NewTask(func() { d.scheduled(runCtx, job) }),
			gocron.WithName(job.Name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
			gocron.WithDaylightSavingsTimePolicy(gocron.DaylightSavingsTimeRunAfterTransition),
		)
		if err != nil {
			return errors.Join(fmt.Errorf("schedule job %s: %w", job.Name, err), s.Shutdown())
		}
	}
	if iv := cfg.Delivery.ResumeInterval.Duration; iv > 0 {
		_, err := s.NewJob(
			gocron.DurationJob(iv),
			gocron.NewTask(func() { d.busy(runCtx, func() { d.resume(runCtx) }) }),
			gocron.WithName(resumeJob),
			gocron.WithSingletonMode(gocron.LimitModeReschedule),
		)
		if err != nil {
			return errors.Join(fmt.Errorf("schedule the resume of deliveries: %w", err), s.Shutdown())
		}
	}
	d.log().LogAttrs(ctx, slog.LevelInfo, "replica", slog.String("node", d.Service.node()),
		slog.Duration("lease", d.Service.lease()))
	s.Start()
	for _, j := range s.Jobs() {
		next, _ := j.NextRun()
		d.log().LogAttrs(ctx, slog.LevelInfo, "scheduled", slog.String("job", j.Name()),
			slog.Time("next_run", next.In(cfg.Report.Location)))
	}
	// Catch up in the background, so that the schedule holds while it works.
	d.track(func() { d.startup(runCtx) })

	<-ctx.Done()
	d.log().LogAttrs(context.Background(), slog.LevelInfo, "stopping", slog.Duration("grace", grace))
	d.mu.Lock()
	d.stopping = true
	d.mu.Unlock()
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown() }()
	done := make(chan struct{})
	go func() { d.inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		d.log().LogAttrs(context.Background(), slog.LevelWarn, "grace period over: cancelling the run in flight")
		cancelRuns()
		<-done
	}
	if err := <-shutdown; err != nil && !errors.Is(err, gocron.ErrStopJobsTimedOut) {
		return fmt.Errorf("stop scheduler: %w", err)
	}
	return nil
}

// track runs fn as work in flight, unless the daemon is stopping.
func (d *Daemon) track(fn func()) {
	d.mu.Lock()
	if d.stopping {
		d.mu.Unlock()
		return
	}
	d.inFlight.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.inFlight.Done()
		// A run records its own panic (Service.Run); one in the daemon's own work is
		// logged, and the daemon goes on with every other job.
		defer func() {
			if v := recover(); v != nil {
				err := recovered(context.Background(), d.log(), "", v)
				d.log().LogAttrs(context.Background(), slog.LevelError, "daemon task failed", slog.String("error", err.Error()))
			}
		}()
		fn()
	}()
}

// scheduled is the task of a job: report the last complete period.
func (d *Daemon) scheduled(ctx context.Context, job *config.Job) {
	if d.fired != nil {
		d.fired(job.Name, d.clock().Now())
	}
	d.busy(ctx, func() {
		if job.CatchUp == "all" {
			d.retryMissed(ctx, job)
		}
		d.runOne(ctx, job, d.due(job), ledger.TriggerScheduled)
	})
}

// busy runs fn as work in flight and returns when it is done (or ctx ends). A gocron
// task calls it to stay busy while its work runs, so that singleton mode holds.
func (d *Daemon) busy(ctx context.Context, fn func()) {
	done := make(chan struct{})
	d.track(func() {
		defer close(done)
		fn()
	})
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// resume is the daemon's periodic task. It runs again, as catch-up runs, with a
// wait that doubles with every failed run in a row of the period (retryAt):
//
//   - every (job, period) whose deliveries are still owed: queued, or failed
//     temporarily after the run's retries ran out (a long SMTP outage), whatever the
//     job's catch_up (owedDue);
//   - the due period of every job whose catch_up is not "none" when its latest run
//     failed (the database was down, a row was bad) or was held (retryPeriods);
//   - every period of a configured job that the data-quality gate held and no run
//     has sent since, whoever's run held it and whatever the job's catch_up
//     (heldPeriods).
//
// The claim keeps each period to one replica, and a run sends only to the
// recipients still owed the report. (The resume at start, in startup, does not
// wait.)
func (d *Daemon) resume(ctx context.Context) {
	interval := d.Service.Runner.Config.Delivery.ResumeInterval.Duration
	now := d.clock().Now()
	seen := map[string]bool{} // decided here: resumed, or its wait is not over
	for _, jp := range d.owedPeriods(ctx) {
		if ctx.Err() != nil {
			return
		}
		seen[jp.key()] = true
		ok, err := d.owedDue(ctx, jp, interval, now)
		if err != nil {
			d.log().LogAttrs(ctx, slog.LevelError, "resume deliveries", slog.String("job", jp.job.Name),
				slog.String("period", jp.period.Label()), slog.String("error", err.Error()))
			continue
		}
		if !ok {
			continue
		}
		d.log().LogAttrs(ctx, slog.LevelInfo, "resume deliveries",
			slog.String("job", jp.job.Name), slog.String("period", jp.period.Label()))
		d.runOne(ctx, jp.job, jp.period, ledger.TriggerCatchUp)
	}
	for _, jp := range d.retryPeriods(ctx) {
		if ctx.Err() != nil {
			return
		}
		if !seen[jp.key()] {
			d.runOne(ctx, jp.job, jp.period, ledger.TriggerCatchUp)
		}
	}
}

// jobPeriod is a period of a job.
type jobPeriod struct {
	job    *config.Job
	period period.Period
}

func (jp jobPeriod) key() string { return periodKey(jp.job.Name, jp.period.Label()) }

// owedPeriods returns, oldest first, the (job, period) pairs with a delivery that is
// queued or failed temporarily and that are not done: a delivery left pending for a
// recipient since removed from the job owes nothing. Jobs no longer in the config
// are left out.
func (d *Daemon) owedPeriods(ctx context.Context) []jobPeriod {
	cfg := d.Service.Runner.Config
	pending, err := d.Service.Ledger.Pending(ctx)
	if err != nil {
		d.log().LogAttrs(ctx, slog.LevelError, "read pending deliveries", slog.String("error", err.Error()))
		return nil
	}
	var out []jobPeriod
	seen := map[string]bool{}
	for _, dl := range pending {
		key := periodKey(dl.Job, dl.Period)
		if seen[key] {
			continue
		}
		seen[key] = true
		job, err := cfg.Job(dl.Job)
		if err != nil {
			continue // a job removed from the config
		}
		kind, _ := period.ParseKind(job.Period)
		p, err := period.ParseKindLabel(kind, dl.Period)
		if err != nil {
			continue
		}
		if _, done, err := d.Service.done(ctx, job, p, true); err != nil || done {
			if err != nil {
				d.log().LogAttrs(ctx, slog.LevelError, "resume deliveries", slog.String("job", job.Name),
					slog.String("period", p.Label()), slog.String("error", err.Error()))
			}
			continue
		}
		out = append(out, jobPeriod{job, p})
	}
	return out
}

// retryMissed runs, oldest first, the earlier periods of job that were due since the
// daemon became responsible and are not done (a run failed because the database was
// down, say), as catch-up runs: with catch_up = "all" every firing
// tries them again.
func (d *Daemon) retryMissed(ctx context.Context, job *config.Job) {
	now := d.clock().Now()
	since, err := d.Service.Ledger.ScheduleSince(ctx, job.Name, now)
	if err == nil {
		var missed []period.Period
		if missed, err = d.Service.Missed(ctx, job, since, now); err == nil {
			for _, p := range missed {
				if p != d.due(job) && ctx.Err() == nil {
					d.runOne(ctx, job, p, ledger.TriggerCatchUp)
				}
			}
		}
	}
	if err != nil {
		d.log().LogAttrs(ctx, slog.LevelError, "retry missed periods", slog.String("job", job.Name), slog.String("error", err.Error()))
	}
}

// due returns the period a firing of job now reports: the last complete one.
func (d *Daemon) due(job *config.Job) period.Period {
	kind, _ := period.ParseKind(job.Period) // validated by config
	return period.LastComplete(kind, d.clock().Now(), d.Service.Runner.Config.Report.Location)
}

// runOne runs job for p. When another replica holds the period's claim, it watches
// for that replica to finish or die (takeOver).
func (d *Daemon) runOne(ctx context.Context, job *config.Job, p period.Period, trigger ledger.Trigger) {
	if res := d.run(ctx, job, p, trigger); res != nil && res.ClaimedBy != "" {
		d.takeOver(ctx, job, p)
	}
}

// run runs job for p within the job's timeout (Service.Run applies it).
func (d *Daemon) run(ctx context.Context, job *config.Job, p period.Period, trigger ledger.Trigger) *RunResult {
	// Errors are in the ledger and the log line of the run; the daemon goes on.
	res, _ := d.Service.Run(ctx, job, p, RunOptions{Trigger: trigger, Send: true})
	return res
}

// takeOver waits a lease, then runs job for p (as a catch-up) unless it is done, and
// goes on waiting while another replica's claim holds the period: the replica that
// holds it may die in the middle, and then its claim expires unrenewed.
func (d *Daemon) takeOver(ctx context.Context, job *config.Job, p period.Period) {
	key := job.Name + "\x00" + p.Label()
	d.mu.Lock()
	if d.watching[key] || d.stopping {
		d.mu.Unlock()
		return
	}
	if d.watching == nil {
		d.watching = map[string]bool{}
	}
	d.watching[key] = true
	stop := d.stop
	d.mu.Unlock()
	d.track(func() {
		defer func() {
			d.mu.Lock()
			delete(d.watching, key)
			d.mu.Unlock()
		}()
		lease := d.Service.lease()
		for {
			wait := lease + rand.N(lease/10+1)
			select {
			case <-stop:
				return
			case <-d.clock().After(wait):
			}
			res := d.run(ctx, job, p, ledger.TriggerCatchUp)
			if res == nil || res.ClaimedBy == "" {
				return // done, failed (the ledger and the log say why), or ours now
			}
		}
	})
}

// startup closes runs a previous process left running, resumes deliveries it left
// unsent, and catches up on periods missed while no daemon was running.
func (d *Daemon) startup(ctx context.Context) {
	cfg := d.Service.Runner.Config
	now := d.clock().Now()
	todo := map[string][]period.Period{}
	add := func(jobName, label string) {
		job, err := cfg.Job(jobName)
		if err != nil {
			return // a job removed from the config
		}
		kind, _ := period.ParseKind(job.Period)
		if p, err := period.ParseKindLabel(kind, label); err == nil && !containsPeriod(todo[job.Name], p) {
			todo[job.Name] = append(todo[job.Name], p)
		}
	}
	// A scheduled or catch-up run that a stopped process left unfinished is finished
	// now, whatever catch_up says: it was due. (One that another replica is running is
	// left to it, and watched.)
	interrupted, err := d.Service.closeInterrupted(ctx)
	if err != nil {
		d.log().LogAttrs(ctx, slog.LevelError, "close interrupted runs", slog.String("error", err.Error()))
	}
	for _, r := range interrupted {
		if r.Trigger != ledger.TriggerManual {
			add(r.Job, r.Period)
		}
	}
	for _, jp := range d.owedPeriods(ctx) {
		add(jp.job.Name, jp.period.Label())
	}
	for i := range cfg.Jobs {
		job := &cfg.Jobs[i]
		since, err := d.Service.Ledger.ScheduleSince(ctx, job.Name, now)
		if err != nil {
			d.log().LogAttrs(ctx, slog.LevelError, "catch-up", slog.String("job", job.Name), slog.String("error", err.Error()))
			continue
		}
		missed, err := d.Service.Missed(ctx, job, since, now)
		if err != nil {
			d.log().LogAttrs(ctx, slog.LevelError, "catch-up", slog.String("job", job.Name), slog.String("error", err.Error()))
			continue
		}
		for _, p := range missed {
			if !containsPeriod(todo[job.Name], p) {
				todo[job.Name] = append(todo[job.Name], p)
			}
		}
		for _, p := range todo[job.Name] {
			if ctx.Err() != nil {
				return
			}
			d.log().LogAttrs(ctx, slog.LevelInfo, "catch-up", slog.String("job", job.Name), slog.String("period", p.Label()))
			d.runOne(ctx, job, p, ledger.TriggerCatchUp)
		}
	}
}

func containsPeriod(ps []period.Period, p period.Period) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// closeInterrupted marks runs that a stopped process left running as failed, and
// returns the runs it found running that this process is not running. A run whose
// period another replica has claimed may still be going on there: it is left as it
// is. So is a run of this process: the schedule may fire while the daemon starts.
func (s *Service) closeInterrupted(ctx context.Context) ([]ledger.Run, error) {
	runs, err := s.Ledger.Running(ctx)
	if err != nil {
		return nil, err
	}
	var errs []error
	var found []ledger.Run
	for _, r := range runs {
		untrack, ok := s.trackLocal(r.Job, r.Period)
		if !ok {
			continue // running here and now
		}
		found = append(found, r)
		ok, err := s.Ledger.Claim(ctx, r.Job, r.Period, s.node(), s.lease(), s.Runner.now())
		if err != nil || !ok {
			untrack()
			errs = append(errs, err)
			continue
		}
		ferr := s.Ledger.FinishRun(ctx, r.ID, ledger.RunFailed, interruptedMsg, nil)
		if errors.Is(ferr, ledger.ErrRunFinished) {
			ferr = nil // a run of this process that ended just now
		}
		errs = append(errs, ferr, s.Ledger.Release(ctx, r.Job, r.Period, s.node()))
		untrack()
	}
	return found, errors.Join(errs...)
}

// Missed returns the periods of job, oldest first, whose scheduled run fell in
// [since, now) and that are not done (Service.done, for a run that sends: a
// successful run that sent nothing does not count), limited by the job's catch_up
// mode: "latest" keeps the most recent, "all" the last catch_up_max, "none" nothing.
func (s *Service) Missed(ctx context.Context, job *config.Job, since, now time.Time) ([]period.Period, error) {
	if job.CatchUp == "none" {
		return nil, nil
	}
	fires, err := FireTimes(job.Schedule, s.Runner.Config.Report.Location, since, now, 100000)
	if err != nil {
		return nil, err
	}
	kind, err := period.ParseKind(job.Period)
	if err != nil {
		return nil, err
	}
	var missed []period.Period
	for _, f := range fires {
		p := period.LastComplete(kind, f, s.Runner.Config.Report.Location)
		if len(missed) > 0 && missed[len(missed)-1] == p {
			continue
		}
		_, ok, err := s.done(ctx, job, p, true)
		if err != nil {
			return nil, err
		}
		if !ok && !containsPeriod(missed, p) {
			missed = append(missed, p)
		}
	}
	keep := 1
	if job.CatchUp == "all" {
		keep = job.CatchUpMax
		if keep <= 0 {
			keep = 12
		}
	}
	if len(missed) > keep {
		missed = missed[len(missed)-keep:]
	}
	return missed, nil
}
