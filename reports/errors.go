package reports

import "errors"

// Sentinel errors of package reports.
var (
	// ErrTemplate marks a template file that cannot be used: bad TOML, an unknown key,
	// a text/template that does not parse or execute, an unknown KPI id or section.
	ErrTemplate = errors.New("reports: bad template")
	// ErrFormat marks an output format other than "xlsx" and "pdf".
	ErrFormat = errors.New("reports: unknown format")
	// ErrLogo marks a logo that cannot be read or is not a PNG or JPEG image.
	ErrLogo = errors.New("reports: bad logo")
	// ErrLanguage marks a report language other than "en" and "nl".
	ErrLanguage = errors.New("reports: unknown language")
)
