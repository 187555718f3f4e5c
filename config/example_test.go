package config_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/kpireport/kpireport/config"
)

func ExampleLoad() {
	c, err := config.Load("testdata/minimal.toml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Report.Company, c.Report.Location, c.Report.Currency, c.Jobs[0].Formats)
	// Output: Test B.V. UTC EUR [xlsx pdf]
}

func ExampleParse() {
	data := []byte(`
[report]
company = "Voorbeeld B.V."
timezone = "Europe/Amsterdam"

[source]
type = "csv"
dir = "data"

[[jobs]]
name = "monthly"
period = "month"
schedule = "0 7 * *"
`)
	_, err := config.Parse(data, "testdata")
	fmt.Println(err)
	fmt.Println(errors.Is(err, config.ErrInvalid))
	// Output:
	// config.toml: jobs[monthly].schedule: "0 7 * *" is not a cron expression: expected exactly 5 fields, found 4: [0 7 * *]
	// true
}

func ExampleConfig_Validate() {
	c := &config.Config{
		Report: config.Report{Company: "Voorbeeld B.V.", Timezone: "UTC", Currency: "eur", Language: "nl", OutputDir: "reports"},
		Source: config.Source{Type: "csv", Dir: "testdata/data", Delimiter: ";", Decimal: ","},
	}
	fmt.Println(c.Validate())
	// Output:
	// config.toml: report.currency: "eur" is not an ISO 4217 code (3 upper-case letters, such as "EUR")
	// config.toml: jobs: at least one [[jobs]] entry is required
}

func ExampleConfig_Job() {
	c, err := config.Load("testdata/minimal.toml")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = c.Job("weekly")
	fmt.Println(err)
	fmt.Println(errors.Is(err, config.ErrUnknownJob))
	// Output:
	// config: unknown job "weekly" (known jobs: monthly)
	// true
}

func ExampleJob_Lang() {
	c := &config.Config{Report: config.Report{Language: "nl"}}
	fmt.Println((&config.Job{}).Lang(c), (&config.Job{Language: "en"}).Lang(c))
	// Output: nl en
}

func ExampleSecret() {
	password := config.Secret("correct horse battery staple")
	fmt.Println(password)
	fmt.Printf("%v %q %#v\n", password, password, config.SMTP{Password: password}.Password)
	fmt.Println(len(password.Reveal()))
	// Output:
	// <secret>
	// <secret> <secret> <secret>
	// 28
}

func ExampleParseSubject() {
	t, err := config.ParseSubject(config.DefaultSubject)
	if err != nil {
		fmt.Println(err)
		return
	}
	t.Execute(os.Stdout, config.SubjectData{Company: "Voorbeeld B.V.", Job: "monthly", Title: "KPI-rapport", Period: "2026-10", Label: "oktober 2026"})
	fmt.Println()
	// Output: Voorbeeld B.V.: KPI-rapport oktober 2026
}
