//go:build generate

// Code generation for the function's input type. Run `make generate`.
// Generated files (zz_generated.*.go, package/input) are never edited by hand.

//go:generate bash -c "rm -f ./input/v1alpha1/zz_generated.*.go ./input/v1alpha1/environment/zz_generated.*.go ../package/input/*.yaml"
//go:generate bash -c "$(../hack/tools.sh controller-gen) object:headerFile=../hack/boilerplate.go.txt paths=./input/..."
//go:generate bash -c "$(../hack/tools.sh controller-gen) crd:crdVersions=v1 paths=./input/... output:crd:artifacts:config=../package/input"

package fn
