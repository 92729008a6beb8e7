package snowflake

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// PassphraseEnv names the environment variable holding the passphrase of an encrypted
// private key file.
const PassphraseEnv = "REVSYNC_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// ParsePrivateKey parses an RSA private key in PKCS#8 PEM form: "PRIVATE KEY", or
// "ENCRYPTED PRIVATE KEY" (PBES2: PBKDF2 with HMAC-SHA1/256/512, AES-CBC or 3DES-CBC,
// what `openssl pkcs8 -topk8 -v2 …` writes) decrypted with passphrase.
func ParsePrivateKey(pemData []byte, passphrase string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("no PEM block found: the file must hold a PKCS#8 key (BEGIN PRIVATE KEY or BEGIN ENCRYPTED PRIVATE KEY)")
	}
	der := block.Bytes
	switch block.Type {
	case "PRIVATE KEY":
	case "ENCRYPTED PRIVATE KEY":
		if passphrase == "" {
			return nil, fmt.Errorf("the private key is encrypted: set %s to its passphrase", PassphraseEnv)
		}
		var err error
		if der, err = decryptPKCS8(der, passphrase); err != nil {
			return nil, err
		}
	case "RSA PRIVATE KEY":
		return nil, errors.New("the key is PKCS#1 (BEGIN RSA PRIVATE KEY): convert it with `openssl pkcs8 -topk8 -inform PEM -in key.p1 -out key.p8 -nocrypt`")
	default:
		return nil, fmt.Errorf("unexpected PEM block %q: expected PRIVATE KEY or ENCRYPTED PRIVATE KEY", block.Type)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("the private key does not decrypt with the passphrase of %s (wrong passphrase?): %w", PassphraseEnv, err)
		}
		return nil, fmt.Errorf("the private key is not valid PKCS#8: %w", err)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the private key is a %T; Snowflake key-pair authentication needs an RSA key", key)
	}
	return rsaKey, nil
}

func decryptPKCS8(der []byte, passphrase string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("the encrypted private key is not PKCS#8: %w", err)
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("the private key is encrypted with %v; only PBES2 is supported (re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)", info.Algo.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("the private key's PBES2 parameters are malformed: %w", err)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("the private key uses key derivation %v; only PBKDF2 is supported", params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("the private key's PBKDF2 parameters are malformed: %w", err)
	}
	var prf func() hash.Hash
	switch {
	case len(kdf.PRF.Algorithm) == 0 || kdf.PRF.Algorithm.Equal(oidHMACSHA1):
		prf = sha1.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA256):
		prf = sha256.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("the private key uses PBKDF2 with PRF %v; supported are HMAC-SHA1/256/512", kdf.PRF.Algorithm)
	}
	var keyLen int
	var newCipher func([]byte) (cipher.Block, error)
	switch alg := params.Scheme.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen, newCipher = 16, aes.NewCipher
	case alg.Equal(oidAES192CBC):
		keyLen, newCipher = 24, aes.NewCipher
	case alg.Equal(oidAES256CBC):
		keyLen, newCipher = 32, aes.NewCipher
	case alg.Equal(oidDESEDE3CBC):
		keyLen, newCipher = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("the private key is encrypted with %v; supported are AES-128/192/256-CBC and DES-EDE3-CBC", alg)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("the private key's cipher IV is malformed: %w", err)
	}
	key, err := pbkdf2.Key(prf, passphrase, kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("derive the private key's decryption key: %w", err)
	}
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	if len(iv) != block.BlockSize() || len(info.Data) == 0 || len(info.Data)%block.BlockSize() != 0 {
		return nil, errors.New("the encrypted private key has a malformed IV or length")
	}
	out := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, info.Data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > block.BlockSize() || pad > len(out) {
		return nil, fmt.Errorf("the private key does not decrypt with the passphrase of %s (wrong passphrase?)", PassphraseEnv)
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("the private key does not decrypt with the passphrase of %s (wrong passphrase?)", PassphraseEnv)
		}
	}
	return out[:len(out)-pad], nil
}
