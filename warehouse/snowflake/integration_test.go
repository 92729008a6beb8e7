package snowflake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/warehousetest"
)

// settingsFromEnv returns connection settings from REVSYNC_SNOWFLAKE_ACCOUNT, _USER,
// _ROLE, _WAREHOUSE, _DATABASE and one of _PRIVATE_KEY_FILE, _PASSWORD, _TOKEN_FILE,
// and whether an account is configured.
func settingsFromEnv() (Settings, bool) {
	env := func(k string) string { return os.Getenv("REVSYNC_SNOWFLAKE_" + k) }
	s := Settings{Account: env("ACCOUNT"), User: env("USER"), Role: env("ROLE"), Warehouse: env("WAREHOUSE"),
		Database: env("DATABASE"), PrivateKeyFile: env("PRIVATE_KEY_FILE"), Password: env("PASSWORD"), TokenFile: env("TOKEN_FILE")}
	return s, s.Account != "" && s.User != ""
}

// TestWarehouse_Conformance runs the shared warehouse suite against a real Snowflake
// account, each test in a fresh schema dropped afterwards. It needs
// REVSYNC_SNOWFLAKE_ACCOUNT, _USER, _WAREHOUSE, _DATABASE and credentials; without
// them it is skipped, under CI=true too: CI has no Snowflake account, so there the
// golden and fake statement tests are what covers this package.
func TestWarehouse_Conformance(t *testing.T) {
	s, ok := settingsFromEnv()
	if !ok {
		t.Skip("no Snowflake account: set REVSYNC_SNOWFLAKE_ACCOUNT, _USER, _WAREHOUSE, _DATABASE and _PRIVATE_KEY_FILE, _PASSWORD or _TOKEN_FILE")
	}
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		s := s
		s.Schema = "REVSYNC_TEST_" + strings.ToUpper(hex.EncodeToString(b))
		w, err := Open(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			w2, err := Open(context.Background(), s)
			if err == nil {
				_, _ = w2.DB().ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+(&Dialect{}).Quote(s.Schema))
				_ = w2.Close()
			}
		})
		return w
	})
}
