package reports_test

import (
	"fmt"
	"log"

	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/reports"
)

func ExampleLoadTemplate() {
	// The built-in template of monthly jobs; a folder in place of "" would replace
	// month.toml, labels.toml or definitions.toml file by file.
	t, err := reports.LoadTemplate("", "", period.Month)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.File)
	for _, s := range t.Sections {
		fmt.Println(s.Kind, len(s.KPIs))
	}
	// Output:
	// month.toml
	// cards 18
	// notes 0
	// charts 4
	// by_rep 0
	// by_region 0
	// definitions 0
}
