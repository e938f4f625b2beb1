// Package harness runs a real Kubernetes control plane and Crossplane core as
// local processes on loopback, for paved's end-to-end tests: etcd,
// kube-apiserver, kube-controller-manager (garbage collection) and Crossplane
// core out of cluster with its admission webhooks (Usages) on loopback, plus
// composition functions as local processes that core reaches over mTLS. No
// Docker, no kubelet.
//
// Run it inside RunIsolated: every listener is then in a private network
// namespace.
package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Binaries are the programs and files the control plane runs from. The
// environment variables named in the tags carry them into the isolated
// test binary.
type Binaries struct {
	Etcd                  string // PAVED_E2E_ETCD
	KubeAPIServer         string // PAVED_E2E_KUBE_APISERVER
	KubeControllerManager string // PAVED_E2E_KUBE_CONTROLLER_MANAGER
	Crossplane            string // PAVED_E2E_CROSSPLANE
	CrossplaneCRDs        string // PAVED_E2E_CROSSPLANE_CRDS: Crossplane's cluster/crds
}

var binaryEnv = []struct {
	env, tool string
	field     func(*Binaries) *string
}{
	{"PAVED_E2E_ETCD", "etcd", func(b *Binaries) *string { return &b.Etcd }},
	{"PAVED_E2E_KUBE_APISERVER", "kube-apiserver", func(b *Binaries) *string { return &b.KubeAPIServer }},
	{"PAVED_E2E_KUBE_CONTROLLER_MANAGER", "kube-controller-manager", func(b *Binaries) *string { return &b.KubeControllerManager }},
	{"PAVED_E2E_CROSSPLANE", "crossplane-core", func(b *Binaries) *string { return &b.Crossplane }},
	{"PAVED_E2E_CROSSPLANE_CRDS", "crossplane-crds", func(b *Binaries) *string { return &b.CrossplaneCRDs }},
}

// ResolveBinaries returns the environment that carries the binaries'
// paths, asking hack/tools.sh (which builds what is not cached yet) for any
// not already set. Call it outside the private namespace: a build needs the
// module proxy.
func ResolveBinaries(ctx context.Context, repoRoot string) ([]string, error) {
	env := make([]string, 0, len(binaryEnv))
	for _, b := range binaryEnv {
		v, err := ToolEnv(ctx, repoRoot, b.env, b.tool)
		if err != nil {
			return nil, err
		}
		env = append(env, v)
	}
	return env, nil
}

// ToolEnv returns env=path for the tool that `hack/tools.sh name` prints
// (building or installing it if it is not cached yet), or the value env
// already has.
func ToolEnv(ctx context.Context, root, env, name string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return env + "=" + v, nil
	}
	v, err := tool(ctx, root, name)
	if err != nil {
		return "", err
	}
	return env + "=" + v, nil
}

func tool(ctx context.Context, repoRoot, name string) (string, error) {
	cmd := execCommand(ctx, filepath.Join(repoRoot, "hack", "tools.sh"), name)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/tools.sh %s: %w", name, err)
	}
	path := strings.TrimSpace(string(out))
	if path == "" {
		return "", fmt.Errorf("hack/tools.sh %s printed no path", name)
	}
	return path, nil
}

// BinariesFromEnv reads what ResolveBinaries passed on.
func BinariesFromEnv() (Binaries, error) {
	var bins Binaries
	for _, b := range binaryEnv {
		v := os.Getenv(b.env)
		if v == "" {
			return bins, fmt.Errorf("%s is not set", b.env)
		}
		if _, err := os.Stat(v); err != nil {
			return bins, fmt.Errorf("%s: %w", b.env, err)
		}
		*b.field(&bins) = v
	}
	return bins, nil
}

// CrossplaneUser is the user name Crossplane core has on the API server:
// that of the service account Crossplane's Helm chart runs it as (crossplane
// v2.4.0 cluster/charts/crossplane/templates/serviceaccount.yaml, default
// values: the chart's name in the release namespace), which paved's
// admission policy (apis/admission/policy.yaml) exempts. Core runs out of
// cluster with a client certificate of that name, in system:masters.
const CrossplaneUser = "system:serviceaccount:crossplane-system:crossplane"

// ControlPlane is a running control plane.
type ControlPlane struct {
	// Config reaches the API server as cluster admin (system:masters).
	Config *rest.Config
	// CrossplaneConfig reaches it as Crossplane core does (CrossplaneUser,
	// in system:masters).
	CrossplaneConfig *rest.Config
	// Client is a controller-runtime client on Config.
	Client client.Client
	// Kubeconfig is the path of an admin kubeconfig file.
	Kubeconfig string
	// LogDir holds one log file per process.
	LogDir string
	// CoreMetricsAddr is host:port of Crossplane core's Prometheus
	// endpoint (/metrics).
	CoreMetricsAddr string
	// CoreArgs are the flags Crossplane core was started with beyond the
	// harness's own (Options.CoreArgs): none means core's defaults, e.g.
	// for its XR circuit breaker.
	CoreArgs []string
	// FunctionCapabilities are what SetFunctionEndpoint writes into a
	// FunctionRevision's status.capabilities, as Crossplane's package
	// manager copies them from the function's package metadata
	// (spec.capabilities); nil means ["composition"].
	FunctionCapabilities []string

	dir   string
	logf  func(string, ...any)
	procs []*Proc
	fnCA  *authority
}

// Options configure Start.
type Options struct {
	Binaries Binaries
	// LogDir receives the processes' logs; it is left in place.
	LogDir string
	// WorkDir receives certificates, keys and etcd's data; Stop removes it.
	WorkDir string
	// Logf reports progress and timings.
	Logf func(string, ...any)
	// CoreEnv is added to Crossplane core's environment, e.g.
	// CA_BUNDLE_PATH for a package registry with a test CA.
	CoreEnv []string
	// CoreArgs are added to Crossplane core's `core start` flags, e.g.
	// --circuit-breaker-burst=1000 (Main takes them from EnvCoreArgs).
	CoreArgs []string
}

// Start starts etcd, kube-apiserver, kube-controller-manager and Crossplane
// core, in that order, each once the one before is ready: one function per
// component, whose errors name it. On error it stops whatever it started.
func Start(ctx context.Context, o Options) (cp *ControlPlane, err error) {
	for _, d := range []string{o.LogDir, o.WorkDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	cp = &ControlPlane{LogDir: o.LogDir, dir: o.WorkDir, logf: logf}
	defer func() {
		if err != nil {
			cp.Stop()
			cp = nil
		}
	}()
	begin := time.Now()
	certs, err := cp.certificates(o.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	etcdURL, err := cp.startEtcd(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	if err := cp.startAPIServer(ctx, o, certs, etcdURL); err != nil {
		return nil, fmt.Errorf("kube-apiserver: %w", err)
	}
	if err := cp.startControllerManager(ctx, o, certs); err != nil {
		return nil, fmt.Errorf("kube-controller-manager: %w", err)
	}
	if err := cp.startCrossplane(ctx, o, certs); err != nil {
		return nil, fmt.Errorf("crossplane: %w", err)
	}
	logf("control plane up in %.1fs", time.Since(begin).Seconds())
	return cp, nil
}

// controlPlaneCerts are the control plane's certificates and keys.
type controlPlaneCerts struct {
	// dir holds the API server's CA, serving certificate and key and the
	// service account keys.
	dir string
	// ca is the cluster's CA: it signs the API server's and the webhook's
	// serving certificates and the clients' certificates.
	ca *authority
	// admin is system:masters; xpUser is Crossplane core's identity
	// (CrossplaneUser, in system:masters).
	admin, xpUser *leaf
	// saKey and saPub are the service account signing key pair's files.
	saKey, saPub string
	// xpClientTLS holds core's client certificate for functions (from the
	// functions' CA, cp.fnCA); xpServerTLS its webhook serving certificate.
	xpClientTLS, xpServerTLS string
}

// certificates makes every certificate the control plane needs, in dir.
func (cp *ControlPlane) certificates(dir string) (*controlPlaneCerts, error) {
	c := &controlPlaneCerts{dir: filepath.Join(dir, "pki")}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	var err error
	if c.ca, err = newAuthority("paved-e2e-cluster-ca"); err != nil {
		return nil, err
	}
	serving, err := c.ca.issue(leafSpec{
		cn:     "kube-apiserver",
		ips:    []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 0, 0, 1)},
		dns:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		server: true,
	})
	if err != nil {
		return nil, err
	}
	if c.admin, err = c.ca.issue(leafSpec{cn: "paved-e2e-admin", orgs: []string{"system:masters"}, client: true}); err != nil {
		return nil, err
	}
	// Core's own identity: the admission policy tells its writes from
	// everyone else's by user name (the x509 authenticator takes the user
	// name from the certificate's CommonName and groups from its
	// Organization: k8s.io/apiserver v0.35.3
	// pkg/authentication/request/x509/x509.go, CommonNameUserConversion).
	if c.xpUser, err = c.ca.issue(leafSpec{cn: CrossplaneUser, orgs: []string{"system:masters"}, client: true}); err != nil {
		return nil, err
	}
	files := map[string][]byte{"ca.crt": c.ca.pem, "apiserver.crt": serving.cert, "apiserver.key": serving.key}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	if c.saKey, c.saPub, err = serviceAccountKeys(c.dir); err != nil {
		return nil, err
	}
	// Functions get their own CA: core presents a client certificate from
	// it and checks the function's serving certificate against it.
	if cp.fnCA, err = newAuthority("paved-e2e-function-ca"); err != nil {
		return nil, err
	}
	xpClient, err := cp.fnCA.issue(leafSpec{cn: "crossplane", client: true})
	if err != nil {
		return nil, err
	}
	c.xpClientTLS = filepath.Join(dir, "crossplane-tls-client")
	if err := writeTLSDir(c.xpClientTLS, xpClient, cp.fnCA); err != nil {
		return nil, err
	}
	// Crossplane's webhook server (Usages): the API server calls it on
	// 127.0.0.1 and trusts the cluster CA (webhooks.go).
	xpServing, err := c.ca.issue(leafSpec{cn: "crossplane-webhook", ips: []net.IP{net.IPv4(127, 0, 0, 1)}, server: true})
	if err != nil {
		return nil, err
	}
	c.xpServerTLS = filepath.Join(dir, "crossplane-tls-server")
	if err := writeTLSDir(c.xpServerTLS, xpServing, c.ca); err != nil {
		return nil, err
	}
	return c, nil
}

// startEtcd starts etcd and returns its client URL once it is healthy.
func (cp *ControlPlane) startEtcd(ctx context.Context, o Options) (string, error) {
	etcdClient, err := freePort()
	if err != nil {
		return "", err
	}
	etcdPeer, err := freePort()
	if err != nil {
		return "", err
	}
	etcdURL := "http://" + hostPort(etcdClient)
	peerURL := "http://" + hostPort(etcdPeer)
	etcd, err := cp.start("etcd", nil, o.Binaries.Etcd,
		"--name=e2e",
		"--data-dir="+filepath.Join(o.WorkDir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
		"--unsafe-no-fsync", // throwaway data
		"--log-level=warn",
	)
	if err != nil {
		return "", err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	return etcdURL, cp.ready(ctx, etcd, "etcd", httpOK(plain, etcdURL+"/health"))
}

// startAPIServer starts kube-apiserver on etcdURL and, once it is ready,
// sets cp's Config, CrossplaneConfig, Kubeconfig and Client.
func (cp *ControlPlane) startAPIServer(ctx context.Context, o Options, c *controlPlaneCerts, etcdURL string) error {
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	apiserver, err := cp.start("kube-apiserver", nil, o.Binaries.KubeAPIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+c.dir,
		"--tls-cert-file="+filepath.Join(c.dir, "apiserver.crt"),
		"--tls-private-key-file="+filepath.Join(c.dir, "apiserver.key"),
		"--client-ca-file="+filepath.Join(c.dir, "ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+c.saPub,
		"--service-account-signing-key-file="+c.saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--authorization-mode=RBAC",
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	host := "https://" + hostPort(apiPort)
	adminPair, err := tls.X509KeyPair(c.admin.cert, c.admin.key)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.ca.cert)
	adminHTTP := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{adminPair}, MinVersion: tls.VersionTLS12},
	}}
	if err := cp.ready(ctx, apiserver, "kube-apiserver", httpOK(adminHTTP, host+"/readyz")); err != nil {
		return err
	}
	cp.Config = &rest.Config{
		Host:            host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.ca.pem, CertData: c.admin.cert, KeyData: c.admin.key},
		QPS:             50,
		Burst:           100,
	}
	cp.Kubeconfig = filepath.Join(o.WorkDir, "admin.kubeconfig")
	if err := writeKubeconfig(cp.Kubeconfig, host, c.ca.pem, c.admin); err != nil {
		return err
	}
	cp.CrossplaneConfig = rest.CopyConfig(cp.Config)
	cp.CrossplaneConfig.CertData, cp.CrossplaneConfig.KeyData = c.xpUser.cert, c.xpUser.key
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	cp.Client, err = client.New(cp.Config, client.Options{Scheme: scheme})
	return err
}

// startControllerManager starts kube-controller-manager: Crossplane leaves
// deleting composed resources to the garbage collector; Crossplane's
// ClusterRole aggregates what packages and platform teams grant it (its
// Helm chart's aggregationRule), which the clusterrole-aggregation
// controller does.
func (cp *ControlPlane) startControllerManager(ctx context.Context, o Options, c *controlPlaneCerts) error {
	kcmPort, err := freePort()
	if err != nil {
		return err
	}
	kcm, err := cp.start("kube-controller-manager", nil, o.Binaries.KubeControllerManager,
		"--kubeconfig="+cp.Kubeconfig,
		"--authentication-kubeconfig="+cp.Kubeconfig,
		"--authorization-kubeconfig="+cp.Kubeconfig,
		"--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token,clusterrole-aggregation-controller",
		"--service-account-private-key-file="+c.saKey,
		"--root-ca-file="+filepath.Join(c.dir, "ca.crt"),
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(kcmPort),
		"--cert-dir="+filepath.Join(o.WorkDir, "kcm"),
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	insecureLocal := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		// Its self-signed serving certificate, on loopback in a private
		// namespace; only its health is read.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
	}}
	return cp.ready(ctx, kcm, "kube-controller-manager", httpOK(insecureLocal, "https://"+hostPort(kcmPort)+"/healthz"))
}

// startCrossplane initialises Crossplane core (its CRDs) and starts it
// out of cluster, as CrossplaneUser, with its webhooks on loopback.
func (cp *ControlPlane) startCrossplane(ctx context.Context, o Options, c *controlPlaneCerts) error {
	const xpNamespace = "crossplane-system"
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: xpNamespace}}); err != nil && !kerrors.IsAlreadyExists(err) {
		return err
	}
	xpKubeconfig := filepath.Join(o.WorkDir, "crossplane.kubeconfig")
	if err := writeKubeconfig(xpKubeconfig, cp.Config.Host, c.ca.pem, c.xpUser); err != nil {
		return err
	}
	// Core writes fetched packages and function images here (an emptyDir
	// in a pod); a missing directory fails every package fetch with
	// "read/write on closed pipe" (the cache store in crossplane-runtime
	// v2.4.0 pkg/xpkg/client.go closes the pipe the parser reads through).
	for _, d := range []string{"xpkg-cache", "xfn-cache"} {
		if err := os.MkdirAll(filepath.Join(o.WorkDir, d), 0o700); err != nil {
			return err
		}
	}
	xpEnv := append([]string{"KUBECONFIG=" + xpKubeconfig, "POD_NAMESPACE=" + xpNamespace}, o.CoreEnv...)
	if err := cp.initCrossplane(ctx, o, xpEnv); err != nil {
		return err
	}
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	metricsPort, healthPort, webhookPort := ports[0], ports[1], ports[2]
	xpArgs := append([]string{"core", "start",
		"--webhook-enabled=true",
		"--webhook-port=" + strconv.Itoa(webhookPort),
		"--tls-server-certs-dir=" + c.xpServerTLS,
		"--package-runtime=External",
		"--tls-client-certs-dir=" + c.xpClientTLS,
		"--xpkg-cache-dir=" + filepath.Join(o.WorkDir, "xpkg-cache"),
		"--xfn-cache-dir=" + filepath.Join(o.WorkDir, "xfn-cache"),
		"--metrics-port=" + strconv.Itoa(metricsPort),
		"--health-probe-port=" + strconv.Itoa(healthPort),
		"--debug",
	}, o.CoreArgs...)
	xp, err := cp.start("crossplane", xpEnv, o.Binaries.Crossplane, xpArgs...)
	if err != nil {
		return err
	}
	cp.CoreMetricsAddr, cp.CoreArgs = hostPort(metricsPort), o.CoreArgs
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := cp.ready(ctx, xp, "crossplane", httpOK(plain, "http://"+hostPort(healthPort)+"/readyz")); err != nil {
		return err
	}
	return cp.installWebhooks(ctx, o.Binaries.CrossplaneCRDs, "https://"+hostPort(webhookPort), c.ca.pem)
}

// initCrossplane runs `crossplane core init`, which installs core's CRDs,
// until it succeeds (at most five times).
func (cp *ControlPlane) initCrossplane(ctx context.Context, o Options, xpEnv []string) error {
	initBegin := time.Now()
	for attempt := 1; ; attempt++ {
		// The first run can fail with `no matches for kind "Lock"` right
		// after it created the CRDs: discovery lags. Run it again.
		// Without webhooks init needs no webhook Service (there is
		// none); the harness installs the webhook configurations itself,
		// pointed at loopback, once core serves them.
		err := run(ctx, o.LogDir, "crossplane-init", xpEnv, o.Binaries.Crossplane, "core", "init",
			"--cr-ds-path="+o.Binaries.CrossplaneCRDs,
			"--webhook-enabled=false",
			"--tlsca-secret-name=crossplane-root-ca",
			"--tls-client-secret-name=crossplane-tls-client",
		)
		if err == nil {
			break
		}
		if attempt == 5 || ctx.Err() != nil {
			return fmt.Errorf("core init: %w", err)
		}
		cp.logf("crossplane core init attempt %d failed, retrying: %v", attempt, firstLine(err.Error()))
		time.Sleep(time.Second)
	}
	cp.logf("crossplane core init done in %.1fs", time.Since(initBegin).Seconds())
	return nil
}

// CoreMetric sums the samples of Crossplane core's Prometheus metric name
// whose labels contain every string in labels, e.g.
// CoreMetric(ctx, "circuit_breaker_opens_total", "composite/xservicebundles.platform.paved.dev").
func (cp *ControlPlane) CoreMetric(ctx context.Context, name string, labels ...string) (float64, error) {
	return metric(ctx, cp.CoreMetricsAddr, name, labels...)
}

// CoreMetrics reads Crossplane core's metrics, in Prometheus' text format,
// for MetricSum.
func (cp *ControlPlane) CoreMetrics(ctx context.Context) (string, error) {
	return metrics(ctx, cp.CoreMetricsAddr)
}

func (cp *ControlPlane) start(name string, env []string, bin string, args ...string) (*Proc, error) {
	p, err := start(cp.LogDir, name, env, bin, args...)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, p)
	return p, nil
}

func (cp *ControlPlane) ready(ctx context.Context, p *Proc, what string, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	d, err := waitFor(ctx, p, what+" ready", check)
	if err != nil {
		return err
	}
	cp.logf("%s ready in %.1fs", what, d.Seconds())
	return nil
}

// Check returns an error naming every process of the control plane that
// has exited.
func (cp *ControlPlane) Check() error {
	var errs []error
	for _, p := range cp.procs {
		if exited, err := p.Exited(); exited {
			errs = append(errs, fmt.Errorf("%s %v; see %s", p.Name, err, p.LogPath))
		}
	}
	return errors.Join(errs...)
}

// Stop stops every process the control plane started, newest first, and
// removes the work directory. Logs stay.
func (cp *ControlPlane) Stop() {
	for _, v := range slices.Backward(cp.procs) {
		v.Stop(10 * time.Second)
	}
	cp.procs = nil
	if cp.dir != "" {
		_ = os.RemoveAll(cp.dir)
	}
}

func httpOK(c *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s: %s", url, resp.Status, firstLine(string(body)))
		}
		return nil
	}
}

func writeKubeconfig(path, host string, ca []byte, admin *leaf) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["e2e"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: ca}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: admin.cert, ClientKeyData: admin.key}
	cfg.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "admin"}
	cfg.CurrentContext = "e2e"
	return clientcmd.WriteToFile(*cfg, path)
}

func firstLine(s string) string {
	if before, _, ok := strings.Cut(s, "\n"); ok {
		return before
	}
	return s
}

// unstructuredFor returns an empty object of the given kind.
func unstructuredFor(apiVersion, kind string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	return u
}
