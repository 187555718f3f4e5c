package postgres_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/postgres"
)

// The connection string is in the environment, for example
// KPIREPORT_POSTGRES_DSN=postgres://kpi@db:5432/sales?sslmode=require&search_path=crm.
func ExampleOpen() {
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	src, err := postgres.Open(sources.Options{Location: loc, Tables: map[string]sources.Table{
		"orders": {Name: "shop.orders"},
		"deals":  {Query: "SELECT id AS deal_id, opened AS created_date, closed AS closed_date, stage AS status, amount AS value FROM crm.deals"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	data, err := src.Load(context.Background(), kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(data.Has)
}

func ExampleExplain() {
	plan := kpi.NewPlan(period.Period{Kind: period.Week, Year: 2026, N: 43})
	statements, err := postgres.Explain(context.Background(), sources.Options{Location: time.UTC}, plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statements {
		fmt.Println(s) // psql runs them as they are
	}
}
