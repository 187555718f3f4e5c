package mysql_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/mysql"
)

// The connection string is in the environment, for example
// KPIREPORT_MYSQL_DSN=kpi:secret@tcp(db:3306)/sales.
func ExampleOpen() {
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	src, err := mysql.Open(sources.Options{Location: loc, Tables: map[string]sources.Table{
		"orders": {Name: "shop.orders"},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	data, err := src.Load(context.Background(), kpi.NewPlan(period.Period{Kind: period.Quarter, Year: 2026, N: 3}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(data.Has)
}

func ExampleExplain() {
	plan := kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10})
	statements, err := mysql.Explain(context.Background(), sources.Options{Location: time.UTC}, plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range statements {
		fmt.Println(s) // the mysql client runs them as they are
	}
}
