package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/paved-dev/paved/test/ghtest"
)

// The App of TestDoctorGitHubApp.
const (
	appID          = 4242
	installationID = 77
)

// Permissions of a well set-up App (docs/operations.md).
var appPerms = map[string]string{"administration": "write", "contents": "write", "metadata": "read", "pull_requests": "write", "members": "read"}

func pemOf(t *testing.T, key *rsa.PrivateKey) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// TestDoctorGitHubApp checks a GitHubApp-sourced ProviderConfig against
// the provider's GitHub stand-in (test/ghtest,
// every request and answer held to GitHub's OpenAPI description): doctor
// signs in as the App and reads its installation, and says what is wrong
// with it.
func TestDoctorGitHubApp(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	gh, err := ghtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gh.Close)
	t.Cleanup(func() {
		for _, v := range gh.Violations() {
			t.Errorf("OpenAPI: %s", v)
		}
	})
	gh.AddOrg("acme-prod")
	gh.AddApp(appID, &key.PublicKey, installationID, "acme-prod")
	gh.AddApp(appID, &key.PublicKey, 78, "someone-else")
	bs := backstageStandIn(t, 2)

	app := fmt.Sprintf("App %d installation %d", appID, installationID)
	cases := map[string]struct {
		perms          map[string]string
		installationID int64
		key            string
		unmapped       bool
		want           string
		code           int
	}{
		"Healthy": {
			perms: appPerms,
			want:  "ok github — " + app + " on acme-prod has the permissions provider-paved needs (administration:write, contents:write, metadata:read, pull_requests:write, members:read)",
		},
		"WriteCoversRead": {
			perms: map[string]string{"administration": "write", "contents": "write", "metadata": "read", "pull_requests": "write", "members": "write"},
			want:  "ok github — " + app + " on acme-prod has the permissions provider-paved needs (administration:write, contents:write, metadata:read, pull_requests:write, members:write)",
		},
		// Without a namespace mapping no team gets access: members is
		// not needed.
		"NoTeamAccess": {
			perms:    map[string]string{"administration": "write", "contents": "write", "metadata": "read", "pull_requests": "write"},
			unmapped: true,
			want:     "ok github — " + app + " on acme-prod has the permissions provider-paved needs (administration:write, contents:write, metadata:read, pull_requests:write)",
		},
		"PermissionsMissing": {
			perms: map[string]string{"administration": "read", "contents": "write", "metadata": "read"},
			want:  "fail github — " + app + " on acme-prod lacks permissions provider-paved needs: administration: write (has read) for creating repositories and protecting their branches; pull_requests: write (has none) for proposing changes to protected branches; members: read (has none) for giving mapped namespaces' teams access to their repositories; grant them in the App's settings and accept them in the organisation",
			code:  1,
		},
		"OtherOrganisation": {
			perms: appPerms, installationID: 78,
			want: fmt.Sprintf("fail github — App %d installation 78 is on someone-else, not on organisation acme-prod (serviceBundle.githubOwner): install the App on acme-prod and set installationID to that installation's", appID),
			code: 1,
		},
		"NotInstalled": {
			perms: appPerms, installationID: 79,
			want: fmt.Sprintf("fail github — App %d has no installation 79 (HTTP 404): install the App on organisation acme-prod and set installationID to that installation's", appID),
			code: 1,
		},
		"AnotherKey": {
			perms: appPerms, key: pemOf(t, other),
			want: fmt.Sprintf("fail github — %s refuses the JWT of App %d (HTTP 401): appID is not the App's, or the private key in the Secret is not its key; fix them from the App's settings", gh.URL, appID),
			code: 1,
		},
		"NotAKey": {
			perms: appPerms, key: "ghp_notAKey",
			want: "fail github — the private key in the ProviderConfig's Secret is not the PEM of an RSA private key, as GitHub gives an App's: put the App's private key there",
			code: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id := tc.installationID
			if id == 0 {
				id = installationID
			}
			if !gh.SetInstallationPermissions(appID, id, tc.perms) && id != 79 {
				t.Fatalf("no installation %d", id)
			}
			pemKey := tc.key
			if pemKey == "" {
				pemKey = pemOf(t, key)
			}
			in := healthy(t, bs.URL)
			in.objs["paved.dev/ProviderConfig//default"] = obj(t, fmt.Sprintf(`
apiVersion: paved.dev/v1alpha1
kind: ProviderConfig
metadata: {name: default}
spec:
  github:
    credentials:
      source: GitHubApp
      app:
        appID: %d
        installationID: %d
        privateKeySecretRef: {namespace: crossplane-system, name: github-app, key: private-key.pem}
`, appID, id))
			in.objs["/Secret/crossplane-system/github-app"] = secret(t, "github-app", "private-key.pem", pemKey)
			if tc.unmapped {
				ec := in.objs["apiextensions.crossplane.io/EnvironmentConfig//paved-environment"]
				delete(ec.Object["data"].(map[string]any)["paved"].(map[string]any)["serviceBundle"].(map[string]any), "namespaces")
			}
			out, stderr, code := runDoctor(t, in, gh.URL)
			var got []string
			for l := range strings.SplitSeq(out, "\n") {
				if strings.Contains(l, " github ") {
					got = append(got, l)
				}
			}
			want := []string{"ok providerconfig github default — exists, Secret crossplane-system/github-app key private-key.pem readable", tc.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "MII") {
				t.Errorf("the private key reached the output:\n%s", out)
			}
		})
	}
}
