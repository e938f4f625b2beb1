# syntax=docker/dockerfile:1
# Images of function-paved (target function) and provider-paved (target
# provider). Both are static Go binaries on distroless, running as nonroot.
#   docker build --target function -t function-paved .
#   docker build --target provider -t provider-paved .

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags='-s -w' -o /out/function ./fn/cmd/function && \
    go build -trimpath -ldflags='-s -w' -o /out/provider ./provider/cmd/provider

FROM gcr.io/distroless/static-debian12:nonroot AS function
COPY --from=build /out/function /function
EXPOSE 9443
USER nonroot:nonroot
ENTRYPOINT ["/function"]

FROM gcr.io/distroless/static-debian12:nonroot AS provider
COPY --from=build /out/provider /provider
USER nonroot:nonroot
ENTRYPOINT ["/provider"]
