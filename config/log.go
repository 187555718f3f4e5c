package config

import "slices"

// Log says how kpireport logs.
type Log struct {
	Format string `toml:"format"` // "text" (default) | "json"
	Level  string `toml:"level"`  // "debug" | "info" (default) | "warn" | "error"
}

// Defaults of [log].
const (
	DefaultLogFormat = "text"
	DefaultLogLevel  = "info"
)

var (
	logFormats = []string{"text", "json"}
	logLevels  = []string{"debug", "info", "warn", "error"}
)

func (c *Config) checkLog(ps *problems) {
	if !slices.Contains(logFormats, c.Log.Format) {
		ps.add("log.format", "%s is not a log format; one of %s", quote(c.Log.Format), list(logFormats))
	}
	if !slices.Contains(logLevels, c.Log.Level) {
		ps.add("log.level", "%s is not a log level; one of %s", quote(c.Log.Level), list(logLevels))
	}
}
