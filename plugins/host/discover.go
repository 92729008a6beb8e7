package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// FilePrefix starts the file name of every connector plugin.
const FilePrefix = "revsync-connector-"

// PathEnv names the environment variable with extra plugin directories (os.PathListSeparator
// separated), searched after Options.Dirs.
const PathEnv = "REVSYNC_PLUGIN_PATH"

// Plugin is one discovered plugin binary.
type Plugin struct {
	// Name is what a source's `plugin:` refers to (the part after revsync-connector-).
	Name string
	// Version is the part after `_v` in the file name, or empty.
	Version string
	// Path is the binary's absolute path.
	Path string
	// Checksum is the verification status of the binary against its sibling .sha256.
	Checksum Checksum
}

// ParseFileName splits a plugin file name into its name and version:
// revsync-connector-<name>[_v<version>][.exe]. ok is false for any other file name.
func ParseFileName(file string) (name, version string, ok bool) {
	if runtime.GOOS == "windows" {
		file = strings.TrimSuffix(file, ".exe")
	}
	rest, found := strings.CutPrefix(file, FilePrefix)
	if !found || rest == "" || strings.HasSuffix(rest, ChecksumSuffix) {
		return "", "", false
	}
	if i := strings.LastIndex(rest, "_v"); i >= 0 && validVersion(rest[i+2:]) {
		name, version = rest[:i], rest[i+2:]
	} else {
		name = rest
	}
	if !validName(name) {
		return "", "", false
	}
	return name, version, true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// validVersion accepts dotted numbers with an optional -prerelease: 1, 1.2, 1.2.3-rc.1.
func validVersion(s string) bool {
	core, _, _ := strings.Cut(s, "-")
	if core == "" {
		return false
	}
	for _, part := range strings.Split(core, ".") {
		if _, err := strconv.ParseUint(part, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// CompareVersions orders versions numerically by dotted component (1.10 > 1.9); a
// release sorts after its prereleases and an empty version before every other.
func CompareVersions(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(a, b) // "" first
	}
	ac, apre, _ := strings.Cut(a, "-")
	bc, bpre, _ := strings.Cut(b, "-")
	as, bs := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y uint64
		if i < len(as) {
			x, _ = strconv.ParseUint(as[i], 10, 64)
		}
		if i < len(bs) {
			y, _ = strconv.ParseUint(bs[i], 10, 64)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	return strings.Compare(apre, bpre)
}

// searchDirs returns the directories to search, in order: opts.Dirs (relative ones
// against baseDir), then $REVSYNC_PLUGIN_PATH.
func searchDirs(opts Options, baseDir string) []string {
	var dirs []string
	for _, d := range opts.Dirs {
		if d == "" {
			continue
		}
		if !filepath.IsAbs(d) && baseDir != "" {
			d = filepath.Join(baseDir, d)
		}
		dirs = append(dirs, d)
	}
	for _, d := range filepath.SplitList(os.Getenv(PathEnv)) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// scanDir lists the plugin binaries of one directory, without checksums; a missing
// directory has none.
func scanDir(dir string) ([]Plugin, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugin directory %s: %w", dir, err)
	}
	var out []Plugin
	for _, e := range entries {
		name, version, ok := ParseFileName(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		path, err := filepath.Abs(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("plugin %s: %w", e.Name(), err)
		}
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() || (runtime.GOOS != "windows" && info.Mode().Perm()&0o111 == 0) {
			continue // not an executable file (or a dangling link)
		}
		out = append(out, Plugin{Name: name, Version: version, Path: path})
	}
	slices.SortFunc(out, func(a, b Plugin) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return CompareVersions(b.Version, a.Version) // newest first
	})
	return out, nil
}

// Discover lists every plugin binary in the search directories (Options.Dirs, then
// $REVSYNC_PLUGIN_PATH), each with its checksum status against its sibling .sha256 file;
// per directory they are sorted by name, newest version first. The first one of a name
// is the one a source gets.
func Discover(opts Options) ([]Plugin, error) {
	var all []Plugin
	for _, dir := range searchDirs(opts, opts.BaseDir) {
		ps, err := scanDir(dir)
		if err != nil {
			return nil, err
		}
		for i := range ps {
			ps[i].Checksum = VerifyFile(ps[i].Path, "")
		}
		all = append(all, ps...)
	}
	return all, nil
}

// find returns the plugin a source's `plugin:` value names: `name` picks the newest
// version in the first directory that has one; `name_v1.2.3` picks that exact file.
func find(opts Options, baseDir, ref string) (Plugin, error) {
	dirs := searchDirs(opts, baseDir)
	wantName, wantVersion := ref, ""
	if n, v, ok := ParseFileName(FilePrefix + ref); ok {
		wantName, wantVersion = n, v
	}
	for _, dir := range dirs {
		ps, err := scanDir(dir)
		if err != nil {
			return Plugin{}, err
		}
		for _, p := range ps {
			if p.Name == wantName && (wantVersion == "" || p.Version == wantVersion) {
				return p, nil
			}
		}
	}
	where := "no plugin directories are configured (set plugins.dirs or $" + PathEnv + ")"
	if len(dirs) > 0 {
		where = "searched " + strings.Join(dirs, ", ")
	}
	return Plugin{}, fmt.Errorf("plugin %q not found: no executable %s%s[_v<version>]; %s", ref, FilePrefix, wantName, where)
}
