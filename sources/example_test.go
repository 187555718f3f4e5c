package sources_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

func ExampleOpen() {
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	src, err := sources.Open(sources.Options{Type: "csv", Dir: "testdata/valid", Location: loc})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	plan := kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10})
	data, err := src.Load(context.Background(), plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := data.Windows[plan.Period.Range()]
	fmt.Println("revenue", m.Revenue, "from", m.SalesCount, "sales to", m.Buyers, "buyers")
	// Output: revenue 1250.5 from 3 sales to 2 buyers
}

func ExampleRowError() {
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	src, _ := sources.Open(sources.Options{Type: "csv", Dir: "testdata/bad", Location: loc})
	_, err := src.Load(context.Background(), kpi.NewPlan(period.Period{Kind: period.Month, Year: 2026, N: 10}))
	fmt.Println(err)
	// Output: orders.csv line 3 column amount: "12,3.4" is not a decimal
}
