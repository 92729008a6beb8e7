// Package snowflake is the Snowflake warehouse (SPEC §6) on snowflakedb/gosnowflake: a
// sqlstore.Dialect (with the sqlstore.DDLCommitter capability, because Snowflake DDL
// commits an open transaction), so the shared sqlstore.Store does migrations, upserts,
// state, pruning, reference resolution, scans and queries, while this package supplies
// what is Snowflake's own: authentication (key pair, password or OAuth token file),
// upper-cased quoted identifiers, column types (NUMBER(18,4) money, NUMBER(18,10)
// rates, DATE, TIMESTAMP_NTZ in UTC, VARIANT attributes), bulk loads by PUT of
// gzip-compressed CSV to a temporary stage and COPY INTO a temporary table (array
// binding below a threshold), MERGE upserts from the deduplicated staged rows, and
// publication by ALTER TABLE … SWAP WITH.
//
// It must not hold business rules (they live in canonical, metrics and sqlstore), and
// it never logs or returns the password, the token or the private key.
package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/sqlstore"
)

// DefaultSchema is the schema used when none is configured.
const DefaultSchema = "REVSYNC"

// Settings are the connection settings of a Snowflake warehouse. Exactly one of
// PrivateKeyFile, Password and TokenFile selects the authentication.
type Settings struct {
	Account   string // account identifier, such as myorg-myaccount
	User      string
	Role      string // optional
	Warehouse string // the virtual warehouse that runs the queries
	Database  string
	Schema    string // default DefaultSchema
	// PrivateKeyFile is a PKCS#8 PEM file (encrypted or not) for key-pair
	// authentication; Passphrase decrypts it (default: $REVSYNC_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE).
	PrivateKeyFile string
	Passphrase     string
	// Password selects password authentication.
	Password string
	// TokenFile holds an OAuth access token (read at Open) for OAuth authentication.
	TokenFile string
}

// Config validates s and returns the driver configuration: the session runs in UTC,
// with the revsync schema current, and the key, password or token loaded.
func Config(s Settings) (*sf.Config, error) {
	var missing []string
	for _, f := range []struct{ key, v string }{{"account", s.Account}, {"user", s.User}, {"warehouse", s.Warehouse}, {"database", s.Database}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.key)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("snowflake: set warehouse.snowflake.%s", strings.Join(missing, ", warehouse.snowflake."))
	}
	n := 0
	for _, v := range []string{s.PrivateKeyFile, s.Password, s.TokenFile} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("snowflake: set exactly one of warehouse.snowflake.private_key_file (key pair), password, or token_file (OAuth)")
	}
	utc, tag := "UTC", "revsync"
	cfg := &sf.Config{
		Account: s.Account, User: s.User, Role: s.Role, Warehouse: s.Warehouse,
		Database: s.Database, Schema: strings.ToUpper(schemaOf(s)),
		Params: map[string]*string{"TIMEZONE": &utc, "QUERY_TAG": &tag},
	}
	switch {
	case s.PrivateKeyFile != "":
		pemData, err := os.ReadFile(s.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("snowflake: read private_key_file: %w", err)
		}
		pass := s.Passphrase
		if pass == "" {
			pass = os.Getenv(PassphraseEnv)
		}
		key, err := ParsePrivateKey(pemData, pass)
		if err != nil {
			return nil, fmt.Errorf("snowflake: private_key_file %s: %w", s.PrivateKeyFile, err)
		}
		cfg.Authenticator, cfg.PrivateKey = sf.AuthTypeJwt, key
	case s.Password != "":
		cfg.Authenticator, cfg.Password = sf.AuthTypeSnowflake, s.Password
	default:
		tok, err := os.ReadFile(s.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("snowflake: read token_file: %w", err)
		}
		token := strings.TrimSpace(string(tok))
		if token == "" {
			return nil, fmt.Errorf("snowflake: token_file %s is empty", s.TokenFile)
		}
		cfg.Authenticator, cfg.Token = sf.AuthTypeOAuth, token
	}
	return cfg, nil
}

func schemaOf(s Settings) string {
	if s.Schema == "" {
		return DefaultSchema
	}
	return s.Schema
}

// Warehouse is an open Snowflake warehouse: the shared sqlstore.Store on a gosnowflake
// pool. It does not implement warehouse.Locker (see README.md).
type Warehouse struct {
	*sqlstore.Store
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open connects with s, checks the connection and creates the schema if it is absent.
// It does not create tables: call Migrate.
func Open(ctx context.Context, s Settings) (*Warehouse, error) {
	cfg, err := Config(s)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, *cfg))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("snowflake: connect to account %q as %q: %s", s.Account, s.User, redact(err, s))
	}
	return New(ctx, db, &Dialect{Schema: schemaOf(s)})
}

// New wraps an open pool (the driver's or, in tests, a fake) with d, creating the
// schema if it is absent.
func New(ctx context.Context, db *sql.DB, d *Dialect) (*Warehouse, error) {
	for _, q := range d.Setup() {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("snowflake: create schema %q: %w", d.Schema, err)
		}
	}
	return &Warehouse{Store: sqlstore.New(db, d)}, nil
}

// Query runs SQL through sqlstore and reports column names that Snowflake folded to
// upper case (unquoted aliases, revsync's own columns) in lower case, as DuckDB and
// PostgreSQL do; a name with any lower-case letter was quoted and is kept.
func (w *Warehouse) Query(ctx context.Context, query string) (*warehouse.Result, error) {
	res, err := w.Store.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	for i, c := range res.Columns {
		if c == strings.ToUpper(c) {
			res.Columns[i] = strings.ToLower(c)
		}
	}
	return res, nil
}

// redact renders err without the password or token, should the driver quote them.
func redact(err error, s Settings) string {
	msg := err.Error()
	if s.Password != "" {
		msg = strings.ReplaceAll(msg, s.Password, "xxxxx")
	}
	return msg
}
