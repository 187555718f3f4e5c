package cluster_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/redis/go-redis/v9"

	"github.com/kpireport/kpireport/cluster"
)

func ExampleNewPostgresLocker() {
	ctx := context.Background()
	locker, err := cluster.NewPostgresLocker(ctx, os.Getenv("KPIREPORT_STATE_DSN"), cluster.WithKeyPrefix("acme:"))
	if err != nil {
		log.Fatal(err)
	}
	// The job's name is the lock key: every replica must use the same one.
	s, err := gocron.NewScheduler(gocron.WithDistributedLocker(locker))
	if err != nil {
		log.Fatal(err)
	}
	_, err = s.NewJob(gocron.CronJob("0 7 1 * *", false), gocron.NewTask(func() {}), gocron.WithName("monthly"))
	if err != nil {
		log.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
}

func ExampleNewRedisLocker() {
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	locker, err := cluster.NewRedisLocker(ctx, client, cluster.WithLease(time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	lock, err := locker.Lock(ctx, "monthly")
	if err != nil {
		log.Fatal(err) // cluster.ErrLocked: another replica runs it
	}
	defer lock.Unlock(ctx)
}
