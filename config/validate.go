package config

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/revsync/revsync/canonical"
)

func (c *Config) applyDefaults() {
	w := &c.Warehouse
	if w.Type == "" {
		w.Type = "duckdb"
	}
	if w.Type == "duckdb" && w.Path == "" {
		w.Path = "revsync.duckdb"
	}
	if w.Schema == "" {
		w.Schema = "revsync"
	}
	m := &c.Metrics
	if m.ReportingCurrency == "" {
		m.ReportingCurrency = "USD"
	}
	m.ReportingCurrency = strings.ToUpper(m.ReportingCurrency)
	if m.SubscriptionEnd == "" {
		m.SubscriptionEnd = "service_period"
	}
	for i := range c.Jobs {
		if c.Jobs[i].Overlap == "" {
			c.Jobs[i].Overlap = "skip"
		}
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// validate checks values that decoded fine but make no sense.
func (l *loader) validate(c *Config, doc *yaml.Node) {
	at := func(key, msg string) { l.add(lineOf(doc, key), key, msg) }
	oneOf := func(key, v string, valid ...string) {
		if !slices.Contains(valid, v) {
			at(key, fmt.Sprintf("%q is not valid (use one of: %s)", v, strings.Join(valid, ", ")))
		}
	}
	w := c.Warehouse
	oneOf("warehouse.type", w.Type, "duckdb", "postgres", "snowflake")
	if w.Type == "postgres" && w.DSN == "" {
		at("warehouse.dsn", "is required for a postgres warehouse (e.g. dsn: ${REVSYNC_PG_DSN})")
	}
	if w.Type == "snowflake" {
		l.validateSnowflake(w.Snowflake, doc)
	}
	m := c.Metrics
	if _, err := canonical.NormalizeCurrency(m.ReportingCurrency); err != nil {
		at("metrics.reporting_currency", err.Error()+" (e.g. USD, EUR)")
	}
	oneOf("metrics.subscription_end", m.SubscriptionEnd, "service_period", "cancellation")
	if m.AsOf != "" {
		if _, err := canonical.ParseDate(m.AsOf); err != nil {
			at("metrics.as_of", err.Error())
		}
	}
	for i, d := range m.Dimensions {
		if strings.TrimSpace(d) == "" || d == "all" {
			at(fmt.Sprintf("metrics.dimensions[%d]", i), fmt.Sprintf("%q cannot be a dimension (use an attribute name such as country, plan or segment)", d))
		}
	}
	if len(c.Sources) == 0 && mappingValue(doc, "sources") == nil {
		at("sources", "is missing: list at least one source, e.g. sources: [{name: csv, type: csv, path: ./data}]")
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d].name", i)
		switch {
		case s.Name == "":
			l.add(s.Line, key, "is missing (a unique name such as stripe or csv; it becomes the `source` column)")
		case !nameRE.MatchString(s.Name):
			l.add(s.Line, key, fmt.Sprintf("%q must start with a letter or digit and use only letters, digits, _ . -", s.Name))
		case seen[s.Name]:
			l.add(s.Line, key, fmt.Sprintf("%q is used by another source (names must be unique)", s.Name))
		}
		seen[s.Name] = true
	}
	if len(c.Enrich) > 0 {
		at("enrich", "enrichment rules are not supported by this version yet; remove the enrich: block (rules would otherwise be silently ignored)")
	}
	if c.Server != nil {
		l.validateServer(c.Server, doc)
	}
	for i, j := range c.Jobs {
		l.validateJob(i, j, seen, doc)
	}
}

func (l *loader) validateSnowflake(s *Snowflake, doc *yaml.Node) {
	at := func(key, msg string) { l.add(lineOf(doc, key), key, msg) }
	if s == nil {
		at("warehouse", "a snowflake warehouse needs a snowflake: block (account, user, database, and private_key_file, password or token_file)")
		return
	}
	for _, req := range []struct{ key, value string }{{"account", s.Account}, {"user", s.User}, {"database", s.Database}} {
		if req.value == "" {
			at("warehouse.snowflake."+req.key, "is required for a snowflake warehouse")
		}
	}
	auth := 0
	for _, v := range []string{s.PrivateKeyFile, string(s.Password), s.TokenFile} {
		if v != "" {
			auth++
		}
	}
	if auth != 1 {
		at("warehouse.snowflake", "set exactly one of private_key_file, password or token_file")
	}
}

func (l *loader) validateServer(s *Server, doc *yaml.Node) {
	at := func(key, msg string) { l.add(lineOf(doc, key), key, msg) }
	if s.Listen == "" {
		at("server.listen", "is required (e.g. 127.0.0.1:8080)")
	}
	for i, k := range s.APIKeys {
		key := fmt.Sprintf("server.api_keys[%d]", i)
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 {
			at(key+".sha256", "must be the 64-character hex SHA-256 of the key (e.g. printf %s \"$KEY\" | sha256sum)")
		}
		for _, sc := range k.Scopes {
			if sc != "read" && sc != "write" {
				at(key+".scopes", fmt.Sprintf("%q is not a scope (use read, write)", sc))
			}
		}
	}
	if r := s.RateLimit; r != nil {
		if r.Requests < 1 {
			at("server.rate_limit.requests", "must be 1 or more")
		}
		if d, err := time.ParseDuration(r.Per); err != nil || d <= 0 {
			at("server.rate_limit.per", fmt.Sprintf("%q is not a duration (e.g. 1m, 10s)", r.Per))
		}
	}
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (l *loader) validateJob(i int, j Job, sources map[string]bool, doc *yaml.Node) {
	key := fmt.Sprintf("jobs[%d]", i)
	at := func(field, msg string) {
		line := lineOf(doc, key+"."+field)
		if line == 0 {
			line = lineOf(doc, key)
		}
		l.add(line, key+"."+field, msg)
	}
	if j.Name == "" {
		at("name", "is missing")
	}
	if _, err := cronParser.Parse(j.Schedule); err != nil {
		at("schedule", fmt.Sprintf("%q is not a schedule: %v (e.g. \"0 3 * * *\", \"@every 15m\")", j.Schedule, err))
	}
	for _, s := range j.Sources {
		if !sources[s] {
			at("sources", fmt.Sprintf("%q is not a configured source", s))
		}
	}
	if j.Overlap != "skip" && j.Overlap != "queue" {
		at("overlap", fmt.Sprintf("%q is not valid (use skip or queue)", j.Overlap))
	}
	if j.Timeout != "" {
		if d, err := time.ParseDuration(j.Timeout); err != nil || d <= 0 {
			at("timeout", fmt.Sprintf("%q is not a duration (e.g. 30m)", j.Timeout))
		}
	}
	if j.Retries < 0 {
		at("retries", "must be 0 or more")
	}
}
