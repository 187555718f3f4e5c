package demo_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kpireport/kpireport/demo"
)

func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "kpireport-demo")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	res, err := demo.Generate(context.Background(), demo.Options{
		Dir:    dir,
		Orders: 2000,
		Format: demo.FormatCSV,
		End:    time.Date(2026, time.November, 12, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, res.ConfigPath)
	fmt.Println("config:", rel)
	for _, table := range []string{"customers", "orders", "leads", "deals", "spend", "calls"} {
		fmt.Println(table, res.Rows[table])
	}
	// Output:
	// config: kpireport.toml
	// customers 200
	// orders 2000
	// leads 400
	// deals 150
	// spend 221
	// calls 800
}
