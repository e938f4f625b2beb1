// Pinned build of crossplane-tools' angryjet (managed-resource method sets and
// reference resolvers). hack/tools.sh builds it with a small source patch: this
// pinned commit still names crossplane-runtime's pre-v2.4 type locations
// (apis/common/v1), which crossplane-runtime v2.4.0 moved to
// github.com/crossplane/crossplane/apis/v2/core/v2.
module github.com/paved-dev/paved/hack/tools/angryjet

go 1.26.0

tool github.com/crossplane/crossplane-tools/cmd/angryjet

require (
	github.com/alecthomas/kingpin/v2 v2.4.0 // indirect
	github.com/alecthomas/units v0.0.0-20240927000941-0f3dac36c52b // indirect
	github.com/crossplane/crossplane-tools v0.0.0-20250731192036-00d407d8b7ec // indirect
	github.com/dave/jennifer v1.7.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/xhit/go-str2duration/v2 v2.1.0 // indirect
	golang.org/x/mod v0.24.0 // indirect
	golang.org/x/sync v0.13.0 // indirect
	golang.org/x/tools v0.32.0 // indirect
)
