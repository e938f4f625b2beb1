// Command paved is the platform team's command: `paved environment
// discover` reads an AWS account and writes the paved-environment
// EnvironmentConfig that function-paved reads; `paved doctor` checks a
// running control plane for what paved needs.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/aws/aws-sdk-go-v2/config"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/paved-dev/paved/cmd/paved/internal/discover"
	"github.com/paved-dev/paved/cmd/paved/internal/doctor"
	"github.com/paved-dev/paved/cmd/paved/internal/migrate"
	"github.com/paved-dev/paved/fn/envconfig"
	"github.com/paved-dev/paved/internal/version"
)

// CLI of paved.
type CLI struct {
	Version kong.VersionFlag `help:"Print the version and exit."`

	Environment struct {
		Discover discoverCmd `cmd:"" help:"Read an AWS account (read-only) and write the EnvironmentConfig paved's Compositions read: region, VPC, private subnets in two or more Availability Zones, the VPC's private CIDR blocks and, with --kms-key, the key's ARN."`
	} `cmd:"" help:"The AWS environment paved composes into (the paved-environment EnvironmentConfig)."`

	Doctor doctorCmd `cmd:"" help:"Check a running control plane for what paved needs (Crossplane, packages, EnvironmentConfig, ProviderConfigs, Argo CD, Backstage, GitHub): one line per check, ok, warn or fail; exits non-zero on any fail. Reads only."`

	Migrate migrateCmd `cmd:"" help:"Move one DatabaseClaim, BucketClaim or ServiceBundle claim to its namespaced composite (Database, Bucket, ServiceBundle) without deleting, creating or replacing any cloud, GitHub or Backstage resource. Prints the plan; --apply acts. Resumable: run it again after an interruption."`
}

// io of one run, bound for the commands.
type streams struct {
	out, err io.Writer
}

type discoverCmd struct {
	Region  string        `help:"AWS region to read. Default: AWS_REGION or the profile's region."`
	VPC     string        `name:"vpc" placeholder:"VPC_ID" help:"VPC whose private subnets databases use. Default: the region's only VPC besides the default VPC."`
	KMSKey  string        `name:"kms-key" placeholder:"ALIAS_OR_ARN" help:"KMS key that encrypts databases and buckets: alias name (alias/rds), alias ARN, key id or key ARN; written as the key's ARN. Default: none (AWS managed keys)."`
	Profile string        `help:"Shared config profile (~/.aws/config) whose credentials and region to use. Default: AWS_PROFILE, then the SDK's default credential chain."`
	Name    string        `default:"${envName}" help:"metadata.name of the EnvironmentConfig (the Compositions' environmentConfigName)."`
	Output  string        `short:"o" type:"path" placeholder:"FILE" help:"Write the EnvironmentConfig to FILE instead of standard output."`
	Timeout time.Duration `default:"2m" help:"Give up after this long (the SDK retries throttled calls within it)."`
}

// Run discovers the environment and writes it.
func (c *discoverCmd) Run(ctx context.Context, s streams) error {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	// The SDK's own configuration: the default credential chain (or the
	// profile's), and endpoints from AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>
	// and the profile's endpoint_url
	// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
	opts := []func(*config.LoadOptions) error{config.WithAppID("paved")}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return fmt.Errorf("no AWS region: set --region, AWS_REGION or the profile's region")
	}

	r, err := discover.Discover(ctx, discover.NewClients(cfg), discover.Options{Region: cfg.Region, VPC: c.VPC, KMSKey: c.KMSKey})
	if err != nil {
		return err
	}
	y, err := r.EnvironmentConfig(c.Name)
	if err != nil {
		return err
	}
	if c.Output == "" {
		_, err := s.out.Write(y)
		return err
	}
	if err := writeFile(c.Output, y); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "wrote EnvironmentConfig %q to %s: VPC %s, %d private subnets in %d Availability Zones\n",
		c.Name, c.Output, r.VPC.ID, len(r.Private), r.AZs())
	return nil
}

// newClient returns the client doctor reads the control plane with, once
// the API server answers; tests replace it.
var newClient = func(cfg *rest.Config) (client.Client, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := dc.ServerVersion(); err != nil {
		return nil, fmt.Errorf("the API server at %s does not answer: %w", cfg.Host, err)
	}
	return client.New(cfg, client.Options{})
}

type doctorCmd struct {
	Kubeconfig string        `type:"path" placeholder:"FILE" help:"kubeconfig to use. Default: KUBECONFIG, then ~/.kube/config."`
	Context    string        `help:"kubeconfig context to use. Default: its current context."`
	Namespace  string        `default:"crossplane-system" help:"Crossplane's namespace."`
	Name       string        `default:"${envName}" help:"metadata.name of paved's EnvironmentConfig."`
	Timeout    time.Duration `default:"1m" help:"Give up after this long; each call to Backstage or GitHub gets at most 10s of it."`
	GitHubAPI  string        `name:"github-api" default:"https://api.github.com" hidden:"" help:"github.com's REST API (for ProviderConfigs without a GitHub Enterprise Server baseURL)."`
}

// Run checks the control plane and prints one line per check.
func (c *doctorCmd) Run(ctx context.Context, s streams) error {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		return fmt.Errorf("cannot load the kubeconfig: %w", err)
	}
	kube, err := newClient(cfg)
	if err != nil {
		return fmt.Errorf("cannot reach the control plane: %w", err)
	}
	d := &doctor.Doctor{Client: kube, Namespace: c.Namespace, EnvironmentConfig: c.Name, GitHubAPI: c.GitHubAPI}
	failed, err := doctor.Print(s.out, d.Run(ctx))
	if err != nil {
		return err
	}
	if failed {
		return errors.New("some checks failed")
	}
	return nil
}

type migrateCmd struct {
	Kind       string        `arg:"" enum:"DatabaseClaim,BucketClaim,ServiceBundle" help:"The claim's kind: DatabaseClaim, BucketClaim or ServiceBundle (the claim, platform.paved.dev)."`
	Claim      string        `arg:"" placeholder:"NAMESPACE/NAME" help:"The claim; the namespaced composite gets the same namespace and name."`
	Apply      bool          `help:"Act. Without it, print the plan and change nothing."`
	StopAfter  string        `name:"stop-after" placeholder:"STEP" enum:",pause,orphan,create,adopt,secret,compose,manage,remove" default:"" help:"Stop after this step (run again to resume)."`
	Kubeconfig string        `type:"path" placeholder:"FILE" help:"kubeconfig to use. Default: KUBECONFIG, then ~/.kube/config."`
	Context    string        `help:"kubeconfig context to use. Default: its current context."`
	Timeout    time.Duration `default:"10m" help:"Give up waiting for Crossplane or the provider after this long (run again to resume)."`
}

// Run migrates the claim.
func (c *migrateCmd) Run(ctx context.Context, s streams) error {
	ns, name, ok := strings.Cut(c.Claim, "/")
	if !ok || ns == "" || name == "" {
		return fmt.Errorf("the claim is NAMESPACE/NAME, not %q", c.Claim)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		return fmt.Errorf("cannot load the kubeconfig: %w", err)
	}
	kube, err := newClient(cfg)
	if err != nil {
		return fmt.Errorf("cannot reach the control plane: %w", err)
	}
	err = migrate.Run(ctx, migrate.Options{Client: kube, Kind: migrate.Kinds[c.Kind], Namespace: ns, Name: name,
		Apply: c.Apply, StopAfter: c.StopAfter, Out: s.out, Timeout: c.Timeout})
	if errors.Is(err, migrate.ErrStopped) {
		return nil
	}
	return err
}

// writeFile replaces path whole or not at all: a half-written file could
// be applied.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // Gone after the rename.
	if _, err := tmp.Write(b); err != nil {
		tmp.Close() //nolint:errcheck,gosec // The write error is the one to report.
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close() //nolint:errcheck,gosec // The chmod error is the one to report.
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// run parses args and runs the command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cli := &CLI{}
	exit := -1
	parser, err := kong.New(cli,
		kong.Name("paved"),
		kong.Description("paved: the platform team's command for paved's Crossplane platform."),
		kong.Vars{"version": version.Version, "envName": envconfig.DefaultName},
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(streams{out: stdout, err: stderr}),
	)
	if err != nil {
		fmt.Fprintln(stderr, "paved:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exit >= 0 { // --help, --version
		return exit
	}
	if err != nil {
		fmt.Fprintln(stderr, "paved:", err)
		return 2
	}
	if err := kctx.Run(); err != nil {
		fmt.Fprintln(stderr, "paved:", err)
		return 1
	}
	return 0
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
