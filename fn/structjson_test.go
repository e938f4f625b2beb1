package fn

import (
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// mustStructJSON is function-sdk-go's resource.MustStructJSON
// (function-sdk-go resource/resource.go: protojson into a Struct, panic on
// error), written here so that fn's tests do not import the SDK's
// resource package, which links client-go and Kubernetes' API types: go
// test -fuzz instruments every package its test binary links
// (cmd/go/internal/test), and those were most of what hack/fuzz.sh
// compiled for FuzzRunFunction and FuzzServiceBundle on a cold machine.
// fn/cmd/function TestFuzzedPackagesLinkNoKubernetesTypes keeps them out.
func mustStructJSON(j string) *structpb.Struct {
	s := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(j), s); err != nil {
		panic(err)
	}
	return s
}
