package config

import (
	"os"
	"regexp"
	"strconv"
	"time"
)

// Cluster says how several replicas of the daemon share one PostgreSQL ledger:
// each replica claims a (job, period) in the ledger, as Node for Lease, before it
// runs it, so every period is run by one replica at a time.
type Cluster struct {
	Lease Duration `toml:"lease"` // how long a claim lasts unless renewed, default 2m
	Node  string   `toml:"node"`  // name of this replica, unique among them, default <hostname>-<pid>
}

// DefaultLease is how long a claim lasts unless renewed.
const DefaultLease = 2 * time.Minute

// MinLease is the shortest lease: claims are renewed every third of it.
const MinLease = time.Second

// DefaultNode returns the node name of this process: <hostname>-<pid>.
func DefaultNode() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "kpireport"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

var nodeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$`)

// checkCluster checks [cluster].
func (c *Config) checkCluster(ps *problems) {
	cl := &c.Cluster
	if cl.Lease.Duration < MinLease {
		ps.add("cluster.lease", "%v is too short; want a duration of at least %v, such as %q", cl.Lease, Duration{MinLease}, Duration{DefaultLease}.String())
	}
	if !nodeName.MatchString(cl.Node) {
		ps.add("cluster.node", "%s is not a node name (letters, digits and ._:@-, at most 100)", quote(cl.Node))
	}
}

// readEnv reads the environment variable name, which a setting at key names
// and which holds what (a DSN, a URL). Problems name the variable, never
// the value: it may be a secret.
func readEnv(ps *problems, key, name, what string) Secret {
	if !envName.MatchString(name) {
		ps.add(key, "is not the name of an environment variable (letters, digits and _); write the name of the variable that holds the %s, not the %s", what, what)
		return ""
	}
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		ps.add(key, "environment variable %s is not set", name)
	case v == "":
		ps.add(key, "environment variable %s is empty", name)
	}
	return Secret(v)
}
