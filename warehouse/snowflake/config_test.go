package snowflake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	sf "github.com/snowflakedb/gosnowflake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeKey(t *testing.T, key *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "key.p8")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	return path
}

func TestConfig_AuthMethods(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keyFile := writeKey(t, key)
	tokenFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("tok-123\n"), 0o600))
	base := Settings{Account: "org-acct", User: "REVSYNC", Warehouse: "WH", Database: "DB", Role: "R"}

	s := base
	s.PrivateKeyFile = keyFile
	cfg, err := Config(s)
	require.NoError(t, err)
	assert.Equal(t, sf.AuthTypeJwt, cfg.Authenticator)
	assert.True(t, key.Equal(cfg.PrivateKey))
	assert.Equal(t, "REVSYNC", cfg.Schema)
	assert.Equal(t, "UTC", *cfg.Params["TIMEZONE"])

	s = base
	s.Password = "pw"
	cfg, err = Config(s)
	require.NoError(t, err)
	assert.Equal(t, sf.AuthTypeSnowflake, cfg.Authenticator)
	assert.Equal(t, "pw", cfg.Password)

	s = base
	s.TokenFile = tokenFile
	s.Schema = "analytics"
	cfg, err = Config(s)
	require.NoError(t, err)
	assert.Equal(t, sf.AuthTypeOAuth, cfg.Authenticator)
	assert.Equal(t, "tok-123", cfg.Token)
	assert.Equal(t, "ANALYTICS", cfg.Schema)

	_, err = Config(base)
	assert.ErrorContains(t, err, "exactly one of")
	s = base
	s.Password, s.TokenFile = "pw", tokenFile
	_, err = Config(s)
	assert.ErrorContains(t, err, "exactly one of")
	_, err = Config(Settings{Password: "pw"})
	assert.ErrorContains(t, err, "warehouse.snowflake.account")
}

// TestParsePrivateKey_Encrypted decrypts PKCS#8 keys that openssl encrypted with PBES2.
func TestParsePrivateKey_Encrypted(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not on PATH")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	plain := writeKey(t, key)
	for _, args := range [][]string{{"-v2", "aes-256-cbc"}, {"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"}, {"-v2", "des3"}} {
		out := filepath.Join(t.TempDir(), "enc.p8")
		cmd := exec.Command("openssl", append([]string{"pkcs8", "-topk8", "-in", plain, "-out", out, "-passout", "pass:s3cret"}, args...)...)
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, string(b))
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		got, err := ParsePrivateKey(data, "s3cret")
		require.NoError(t, err, "%v", args)
		assert.True(t, key.Equal(got))
		_, err = ParsePrivateKey(data, "wrong")
		assert.ErrorContains(t, err, "wrong passphrase")
		_, err = ParsePrivateKey(data, "")
		assert.ErrorContains(t, err, PassphraseEnv)
	}
	// the passphrase comes from the environment when Settings has none
	out := filepath.Join(t.TempDir(), "enc.p8")
	b, err := exec.Command("openssl", "pkcs8", "-topk8", "-in", plain, "-out", out, "-passout", "pass:envpass", "-v2", "aes-256-cbc").CombinedOutput()
	require.NoError(t, err, string(b))
	t.Setenv(PassphraseEnv, "envpass")
	cfg, err := Config(Settings{Account: "a", User: "u", Warehouse: "w", Database: "d", PrivateKeyFile: out})
	require.NoError(t, err)
	assert.True(t, key.Equal(cfg.PrivateKey))
}
