package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The DSNs and URLs the tests put in the environment; they hold passwords,
// so no error may show them.
const (
	testStateDSN = "postgres://kpireport:state-s3cret@db.example.nl/kpireport?search_path=ledger"
	testLockDSN  = "postgres://kpireport:lock-s3cret@db.example.nl/locks"
	testRedisURL = "rediss://:redis-s3cret@redis.example.nl:6380/0"
	testSrcDSN   = "kpireport:source-s3cret@tcp(db.example.nl:3306)/sales"
)

func setTestEnv(t *testing.T) {
	t.Setenv("KPIREPORT_TEST_STATE_DSN", testStateDSN)
	t.Setenv("KPIREPORT_TEST_LOCK_DSN", testLockDSN)
	t.Setenv("KPIREPORT_TEST_REDIS_URL", testRedisURL)
	t.Setenv("KPIREPORT_TEST_SOURCE_DSN", testSrcDSN)
	t.Setenv("KPIREPORT_TEST_NOT_A_URL", "redis-s3cret")
	t.Setenv("KPIREPORT_TEST_EMPTY", "")
	os.Unsetenv("KPIREPORT_TEST_UNSET")
}

// pgState is a [state] section with the ledger in PostgreSQL.
const pgState = "[state]\ndriver = \"postgres\"\ndsn_env = \"KPIREPORT_TEST_STATE_DSN\"\n"

func TestClusterProblems(t *testing.T) {
	setTestEnv(t)
	tests := []struct {
		name    string
		add     string // appended to base
		replace []string
		key     string
		message string // part of the message
	}{
		// [state]
		{name: "postgres state without dsn_env", add: "[state]\ndriver = \"postgres\"", key: "state.dsn_env", message: `is required for state driver "postgres"`},
		{name: "postgres state variable not set", add: "[state]\ndriver = \"postgres\"\ndsn_env = \"KPIREPORT_TEST_UNSET\"", key: "state.dsn_env", message: "environment variable KPIREPORT_TEST_UNSET is not set"},
		{name: "postgres state variable empty", add: "[state]\ndriver = \"postgres\"\ndsn_env = \"KPIREPORT_TEST_EMPTY\"", key: "state.dsn_env", message: "environment variable KPIREPORT_TEST_EMPTY is empty"},
		{name: "postgres state DSN written in place of the name", add: "[state]\ndriver = \"postgres\"\ndsn_env = \"" + testStateDSN + "\"", key: "state.dsn_env", message: "is not the name of an environment variable"},
		{name: "postgres state with a path", add: pgState + "path = \"ledger.db\"", key: "state.path", message: `does not apply to state driver "postgres"`},
		{name: "sqlite state with dsn_env", add: "[state]\ndsn_env = \"KPIREPORT_TEST_STATE_DSN\"", key: "state.dsn_env", message: `does not apply to state driver "sqlite"`},

		// [cluster]: the removed lock settings say so, and what to do
		{name: "removed lock", add: "[cluster]\nlock = \"postgres\"", key: "cluster.lock", message: `unknown key; removed: replicas need no lock`},
		{name: "removed redis_addr", add: "[cluster]\nredis_addr = \"127.0.0.1:6379\"", key: "cluster.redis_addr", message: `state.driver = "postgres"`},
		{name: "removed redis_url_env", add: "[cluster]\nredis_url_env = \"KPIREPORT_TEST_REDIS_URL\"", key: "cluster.redis_url_env", message: "delete the key"},
		{name: "removed dsn_env", add: "[cluster]\ndsn_env = \"KPIREPORT_TEST_LOCK_DSN\"", key: "cluster.dsn_env", message: "removed"},
		{name: "removed key_prefix", add: "[cluster]\nkey_prefix = \"acme:\"", key: "cluster.key_prefix", message: "removed"},
		{name: "lease too short", add: "[cluster]\nlease = \"500ms\"", key: "cluster.lease", message: `500ms is too short; want a duration of at least 1s`},
		{name: "bad node", add: "[cluster]\nnode = \"replica a\"", key: "cluster.node", message: `"replica a" is not a node name`},
		{name: "empty node", add: "[cluster]\nnode = \"\"", key: "cluster.node", message: `"" is not a node name`},

		// [source] of a database server
		{name: "postgres source without dsn_env", replace: []string{`type = "csv"`, `type = "postgres"`, `dir = "data"`, ""}, key: "source.dsn_env", message: `is required for source type "postgres"`},
		{name: "mysql source variable not set", replace: []string{`type = "csv"`, "type = \"mysql\"\ndsn_env = \"KPIREPORT_TEST_UNSET\"", `dir = "data"`, ""}, key: "source.dsn_env", message: "environment variable KPIREPORT_TEST_UNSET is not set"},
		{name: "postgres source with dir", replace: []string{`type = "csv"`, "type = \"postgres\"\ndsn_env = \"KPIREPORT_TEST_SOURCE_DSN\""}, key: "source.dir", message: `does not apply to source type "postgres"`},
		{name: "mysql source with path", replace: []string{`type = "csv"`, "type = \"mysql\"\ndsn_env = \"KPIREPORT_TEST_SOURCE_DSN\"\npath = \"sales.db\"", `dir = "data"`, ""}, key: "source.path", message: `does not apply to source type "mysql"`},
		{name: "postgres statement_timeout negative", replace: []string{`type = "csv"`, "type = \"postgres\"\ndsn_env = \"KPIREPORT_TEST_SOURCE_DSN\"\nstatement_timeout = \"-1s\"", `dir = "data"`, ""}, key: "source.statement_timeout", message: `-1s is not positive`},
		{name: "dsn_env with csv", replace: []string{`dir = "data"`, "dir = \"data\"\ndsn_env = \"KPIREPORT_TEST_SOURCE_DSN\""}, key: "source.dsn_env", message: `does not apply to source type "csv"`},
		{name: "mysql source file override", replace: []string{`type = "csv"`, "type = \"mysql\"\ndsn_env = \"KPIREPORT_TEST_SOURCE_DSN\"", `dir = "data"`, ""}, add: "[source.tables.orders]\nfile = \"o.csv\"", key: "source.tables.orders.file", message: `does not apply to source type "mysql"`},
	}
	dir := testdata(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base
			for i := 0; i+1 < len(tt.replace); i += 2 {
				if !strings.Contains(data, tt.replace[i]) {
					t.Fatalf("base has no %q", tt.replace[i])
				}
				data = strings.Replace(data, tt.replace[i], tt.replace[i+1], 1)
			}
			data += tt.add + "\n"
			_, err := Parse([]byte(data), dir)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError\n%s", err, data)
			}
			if len(ve.Problems) != 1 {
				t.Fatalf("want 1 problem, got %d:\n%v", len(ve.Problems), err)
			}
			if p := ve.Problems[0]; p.Key != tt.key || !strings.Contains(p.Message, tt.message) {
				t.Errorf("problem = %s\nwant key %s with message containing %q", p, tt.key, tt.message)
			}
			for _, secret := range []string{"s3cret", testStateDSN, testRedisURL} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret (%q): %v", secret, err)
				}
			}
		})
	}
}

func TestClusterLoad(t *testing.T) {
	setTestEnv(t)
	tests := []struct {
		name        string
		add         string
		replace     []string
		wantState   State
		wantCluster Cluster
		wantSource  Secret
	}{
		{
			name:        "ledger in postgres, named replica",
			add:         pgState + "[cluster]\nlease = \"30s\"\nnode = \"kpireport-a\"",
			wantState:   State{Driver: "postgres", DSNEnv: "KPIREPORT_TEST_STATE_DSN", DSN: testStateDSN},
			wantCluster: Cluster{Lease: Duration{30 * time.Second}, Node: "kpireport-a"},
		},
		{
			name:        "mysql source",
			replace:     []string{`type = "csv"`, "type = \"mysql\"\ndsn_env = \"KPIREPORT_TEST_SOURCE_DSN\"", `dir = "data"`, ""},
			wantState:   State{Driver: "sqlite", Path: testdata(t, "kpireport-state.db")},
			wantCluster: defaultCluster(),
			wantSource:  testSrcDSN,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := base
			for i := 0; i+1 < len(tt.replace); i += 2 {
				data = strings.Replace(data, tt.replace[i], tt.replace[i+1], 1)
			}
			c, err := Parse([]byte(data+tt.add+"\n"), testdata(t))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantState, c.State, revealSecrets); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCluster, c.Cluster, revealSecrets); diff != "" {
				t.Errorf("cluster (-want +got):\n%s", diff)
			}
			if c.Source.DSN.Reveal() != tt.wantSource.Reveal() {
				t.Errorf("source DSN read = %v, want it from the environment", c.Source.DSN.Reveal() != "")
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate of a loaded config: %v", err)
			}
		})
	}
}

// A Config built in code with [cluster] left out validates with its defaults.
func TestClusterValidateDefaults(t *testing.T) {
	c := &Config{
		Dir:    testdata(t),
		Report: Report{Company: "X", Timezone: "UTC", Currency: "EUR", Language: "en", OutputDir: "reports"},
		Source: Source{Type: "csv", Dir: "data", Delimiter: ",", Decimal: "."},
		Jobs:   []Job{{Name: "m", Period: "month", Schedule: "0 7 1 * *", Formats: []string{"pdf"}, Filename: DefaultFilename}},
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c.Cluster.Node = "replica a"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "cluster.node") {
		t.Errorf("Validate = %v, want a cluster.node problem", err)
	}
}

func TestDefaultNode(t *testing.T) {
	n := DefaultNode()
	if !nodeName.MatchString(n) || !strings.HasSuffix(n, "-"+strconv.Itoa(os.Getpid())) {
		t.Errorf("DefaultNode = %q, want <hostname>-<pid>", n)
	}
}

// TestDSNsNeverShown loads a configuration whose ledger secret comes from the
// environment and checks that no printed form of it, and no error, shows it.
func TestDSNsNeverShown(t *testing.T) {
	setTestEnv(t)
	c, err := Parse([]byte(base+pgState+"[cluster]\nnode = \"a\"\n"), testdata(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.State.DSN.Reveal() != testStateDSN {
		t.Fatal("DSN or URL not read")
	}
	printed := fmt.Sprintf("%v %+v %#v %v %+v", c, *c, *c, c.State, c.Cluster)
	if j, err := json.Marshal(c); err == nil {
		printed += string(j)
	}
	c.Cluster.Lease = Duration{}
	c.Cluster.Node = "replica a"
	printed += fmt.Sprintf("%v", c.Validate())
	if strings.Contains(printed, "s3cret") {
		t.Errorf("a secret is shown: %s", printed)
	}
}
