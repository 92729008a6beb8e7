// Package cli provides the `revsync plugins` command (list, verify) for cmd/revsync. It
// only reports: it never changes plugin binaries or their checksum files.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/revsync/revsync/plugins/host"
)

// ErrVerifyFailed is returned by `plugins verify` when any plugin fails verification;
// main turns it into exit status 1.
var ErrVerifyFailed = errors.New("plugin verification failed")

// NewPluginsCommand returns the `plugins` command with `list` and `verify`. options is
// called when a subcommand runs and returns the host options from the loaded config
// (plugins.dirs, plugins.allow_unverified, the config file's directory as BaseDir).
func NewPluginsCommand(options func() (host.Options, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List and verify connector plugins",
		Long: "Connector plugins are executables named revsync-connector-<name>[_v<version>] in plugins.dirs\n" +
			"or $" + host.PathEnv + ", each with a sibling <file>.sha256 holding its SHA-256.",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List discovered plugins with version, path and checksum status",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts, err := options()
			if err != nil {
				return err
			}
			plugins, err := host.Discover(opts)
			if err != nil {
				return err
			}
			return List(c.OutOrStdout(), plugins)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Verify every plugin's checksum and handshake; exit 1 when any fails",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts, err := options()
			if err != nil {
				return err
			}
			plugins, err := host.Discover(opts)
			if err != nil {
				return err
			}
			return Verify(c.Context(), c.OutOrStdout(), opts, plugins)
		},
	})
	return cmd
}

// List prints plugins as a table: name, version, checksum status, path.
func List(w io.Writer, plugins []host.Plugin) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tCHECKSUM\tPATH")
	for _, p := range plugins {
		version := p.Version
		if version == "" {
			version = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, version, p.Checksum.Status, p.Path)
	}
	return tw.Flush()
}

// Verify checks each plugin's checksum (missing or wrong fails, whatever
// allow_unverified says) and, when it passes, launches it once to check the handshake
// and protocol version. It prints one line per plugin and returns ErrVerifyFailed when
// any failed.
func Verify(ctx context.Context, w io.Writer, opts host.Options, plugins []host.Plugin) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(plugins) == 0 {
		fmt.Fprintln(w, "no plugins found")
		return nil
	}
	strict := opts
	strict.AllowUnverified = false
	failed := 0
	for _, p := range plugins {
		label := p.Name
		if p.Version != "" {
			label += " " + p.Version
		}
		if problem := p.Checksum.Problem(p.Path); problem != "" {
			failed++
			fmt.Fprintf(w, "FAIL  %s: %s\n", label, problem)
			continue
		}
		info, err := host.Probe(ctx, strict, p)
		if err != nil {
			failed++
			fmt.Fprintf(w, "FAIL  %s: %s\n", label, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(w, "ok    %s: sha256 %s, connector %q, protocol v%d, sdk %s (%s)\n",
			label, p.Checksum.Actual, info.Type, info.ProtocolVersion, info.SDKVersion, p.Path)
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d plugins", ErrVerifyFailed, failed, len(plugins))
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
