package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// ChecksumSuffix is appended to a plugin's file name to name its checksum file.
const ChecksumSuffix = ".sha256"

// ChecksumStatus says how a plugin binary compares with its expected SHA-256.
type ChecksumStatus string

// The checksum statuses.
const (
	// ChecksumOK: the binary matches the expected checksum.
	ChecksumOK ChecksumStatus = "ok"
	// ChecksumMissing: no checksum is known (no .sha256 file, no pin).
	ChecksumMissing ChecksumStatus = "missing"
	// ChecksumMismatch: the binary does not match the expected checksum.
	ChecksumMismatch ChecksumStatus = "mismatch"
	// ChecksumError: the binary or its checksum file could not be read or parsed.
	ChecksumError ChecksumStatus = "error"
)

// Checksum is the result of verifying one binary.
type Checksum struct {
	Status ChecksumStatus
	// Expected is the hex SHA-256 the binary should have (empty when missing).
	Expected string
	// Actual is the binary's hex SHA-256 (empty when it could not be read).
	Actual string
	// From says where Expected came from: the .sha256 file's path or "source config".
	From string
	// Err explains ChecksumError.
	Err error
}

// Verified reports whether the binary matched its expected checksum.
func (c Checksum) Verified() bool { return c.Status == ChecksumOK }

// Problem explains a failed verification in one sentence naming the checksums, for
// errors and `revsync plugins verify`; empty when verified.
func (c Checksum) Problem(path string) string {
	switch c.Status {
	case ChecksumOK:
		return ""
	case ChecksumMissing:
		return fmt.Sprintf("%s has no checksum (sha256 %s): write it to %s%s, or pin sha256: in the source config, or set plugins.allow_unverified: true",
			path, c.Actual, path, ChecksumSuffix)
	case ChecksumMismatch:
		return fmt.Sprintf("%s does not match its checksum: expected sha256 %s (from %s), got sha256 %s; the binary was changed or replaced",
			path, c.Expected, c.From, c.Actual)
	}
	return fmt.Sprintf("%s: cannot verify its checksum: %v", path, c.Err)
}

// VerifyFile computes the SHA-256 of the binary at path and compares it with pin (hex,
// optionally prefixed "sha256:") or, when pin is empty, with the sibling .sha256 file.
func VerifyFile(path, pin string) Checksum {
	actual, err := FileSHA256(path)
	if err != nil {
		return Checksum{Status: ChecksumError, Err: err}
	}
	c := Checksum{Actual: actual}
	if pin != "" {
		c.Expected, c.From = normalizeSum(pin), "source config"
	} else {
		expected, err := readChecksumFile(path + ChecksumSuffix)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.Status = ChecksumMissing
			return c
		case err != nil:
			c.Status, c.Err = ChecksumError, err
			return c
		}
		c.Expected, c.From = expected, path+ChecksumSuffix
	}
	if !validSum(c.Expected) {
		c.Status, c.Err = ChecksumError, fmt.Errorf("expected checksum %q (from %s) is not 64 hex digits", c.Expected, c.From)
		return c
	}
	if c.Expected == actual {
		c.Status = ChecksumOK
	} else {
		c.Status = ChecksumMismatch
	}
	return c
}

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading plugin binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading plugin binary %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readChecksumFile reads a .sha256 file: the hex digest, optionally followed by the file
// name as sha256sum prints it.
func readChecksumFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return "", fmt.Errorf("checksum file %s is empty", path)
	}
	return normalizeSum(fields[0]), nil
}

func normalizeSum(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "sha256:"), "SHA256:")
	return strings.ToLower(s)
}

func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
