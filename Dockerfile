# syntax=docker/dockerfile:1
# Images of function-paved (target function) and provider-paved (target
# provider), for teams that build with Docker. `make xpkg` builds the same
# images without Docker (hack/xpkg.sh, hack/xpkg): static binaries with the
# same flags, on distroless static, as 65532:65532, entrypoint /function or
# /provider. hack/xpkg/dockerfile_test.go checks that both agree.
#   docker build --target function --build-arg VERSION=v0.1.0 -t function-paved .
#   docker build --target provider --build-arg VERSION=v0.1.0 -t provider-paved .

FROM golang:1.26 AS build
ARG VERSION=v0.1.0
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -buildvcs=false -ldflags="-s -w -X github.com/paved-dev/paved/internal/version.Version=${VERSION}" -o /out/function ./fn/cmd/function && \
    go build -trimpath -buildvcs=false -ldflags="-s -w -X github.com/paved-dev/paved/internal/version.Version=${VERSION}" -o /out/provider ./provider/cmd/provider

# distroless static's nonroot user is 65532:65532; numeric so the kubelet's
# runAsNonRoot check can verify it.
FROM gcr.io/distroless/static-debian12:nonroot AS function
COPY --from=build /out/function /function
EXPOSE 9443/tcp
USER 65532:65532
ENTRYPOINT ["/function"]

FROM gcr.io/distroless/static-debian12:nonroot AS provider
COPY --from=build /out/provider /provider
USER 65532:65532
ENTRYPOINT ["/provider"]
