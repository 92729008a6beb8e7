// Package pgtest gives tests a real, throwaway PostgreSQL server: it runs initdb into a
// temporary directory, starts postgres on a free 127.0.0.1 port (as the postgres OS user
// when the tests run as root, like `runuser -u postgres`), and stops and deletes it when
// the package's tests end. When REVSYNC_PG_DSN is set, that server is used instead.
//
// Without server binaries the tests that need one are skipped, except under CI=true,
// where a missing server is a failure. It is for tests only: it must never be imported by
// production code, and it never touches a server it did not start (besides the schemas
// it creates on a REVSYNC_PG_DSN server).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable that points the tests at an existing server.
const EnvDSN = "REVSYNC_PG_DSN"

var (
	mu      sync.Mutex
	started *server
	dsn     string
	failure error
)

// Main runs a package's tests (call it from TestMain) and stops the throwaway server,
// if one was started, before the process exits.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops and deletes the throwaway server, if one was started; Main calls it.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if started != nil {
		started.stop()
		started, dsn = nil, ""
	}
}

// DSN returns the DSN of the test server, starting one on first use. It skips the test
// when no server can be had, or fails it under CI=true.
func DSN(t testing.TB) string {
	t.Helper()
	d, err := serverDSN()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL test server (required when CI=true): %v", err)
		}
		t.Skipf("no PostgreSQL test server: %v (set %s or install the postgresql package)", err, EnvDSN)
	}
	return d
}

// ServerPID returns the process id of the throwaway server's postmaster, or 0 when none
// was started here (REVSYNC_PG_DSN, or before the first DSN call). Benchmarks use it to
// count the server's CPU time.
func ServerPID() int {
	mu.Lock()
	defer mu.Unlock()
	if started == nil || started.cmd.Process == nil {
		return 0
	}
	return started.cmd.Process.Pid
}

// Schema returns the name of a new schema unique to the test, dropped with everything in
// it when the test ends. The schema itself is not created.
func Schema(t testing.TB) string {
	t.Helper()
	d := DSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, d)
		if err != nil {
			t.Logf("pgtest: dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Logf("pgtest: dropping schema %s: %v", name, err)
		}
	})
	return name
}

func serverDSN() (string, error) {
	if d := os.Getenv(EnvDSN); d != "" {
		return d, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if dsn != "" || failure != nil {
		return dsn, failure
	}
	s, err := start()
	if err != nil {
		failure = err
		return "", err
	}
	started, dsn = s, s.dsn
	return dsn, nil
}

// binary finds a PostgreSQL server program on PATH or in Debian's versioned directories.
func binary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH nor in /usr/lib/postgresql/*/bin", name)
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

type server struct {
	dir  string
	dsn  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func start() (*server, error) {
	initdb, err := binary("initdb")
	if err != nil {
		return nil, err
	}
	postgres, err := binary("postgres")
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if cred != nil && !traversable(base) {
		base = "/tmp" // the postgres user must reach the data directory
	}
	dir, err := os.MkdirTemp(base, "revsync-pg-")
	if err != nil {
		return nil, fmt.Errorf("creating the server directory: %w", err)
	}
	if err := prepareDir(dir, cred); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	out, err := command(cred, initdb, "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb in %s failed: %w: %s", data, err, lastLines(string(out)))
	}
	var lastErr error
	for range 3 { // a free port can be taken between probing and binding: retry
		s, err := launch(cred, postgres, dir, data)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

// credential returns the postgres user's identity when running as root (the server
// refuses to run as root), or nil to run as the current user.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres OS user to run the server: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// traversable reports whether dir and each of its parents can be entered by any user.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func prepareDir(dir string, cred *syscall.Credential) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("making %s traversable: %w", dir, err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("giving %s to the postgres user: %w", dir, err)
		}
	}
	return nil
}

func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if cred != nil {
		cmd.Dir = "/"
	}
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launch(cred *syscall.Credential, postgres, dir, data string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating the server log: %w", err)
	}
	s := &server{dir: dir, done: make(chan struct{}),
		dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)}
	s.cmd = command(cred, postgres, "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=256MB", "-c", "max_wal_size=4GB")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	// Pdeathsig fires when the thread that started the child exits: start it from a
	// thread locked for the server's life so the server dies with this process and no
	// earlier.
	startErr := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := s.cmd.Start(); err != nil {
			startErr <- err
			close(s.done)
			return
		}
		startErr <- nil
		s.err = s.cmd.Wait()
		_ = logFile.Close()
		close(s.done)
	}()
	if err := <-startErr; err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", postgres, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, s.dsn)
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return s, nil
		}
		cancel()
		select {
		case <-s.done:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres on port %d exited: %v: %s", port, s.err, lastLines(string(log)))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres on port %d did not accept connections within 60s: %w: %s", port, err, lastLines(string(log)))
		}
	}
}

// stop shuts the server down (fast shutdown, then kill) and deletes its directory.
func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	_ = os.RemoveAll(s.dir)
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return strings.Join(lines, "\n")
}
