# syntax=docker/dockerfile:1
# One image with every policyd program: policyd, custody, policyctl, relayer,
# plus btcd (the regtest Bitcoin node of the compose topology).
# Build:  docker build -t policyd:dev .
# -tags release: policyd links no dev network (fixture shares, dev passphrase).
# The Go version follows go.mod's toolchain; the module cache and the build
# cache are BuildKit cache mounts, so rebuilds only compile what changed.

# 1.26.10: the patched toolchain go.mod names (standard-library fixes that
# govulncheck reports for older 1.26 releases).
ARG GO_VERSION=1.26.10
ARG DEBIAN=bookworm

FROM golang:${GO_VERSION}-${DEBIAN} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    mkdir -p /out && \
    go build -tags release -ldflags="-s -w" -o /out/ ./cmd/policyd ./cmd/custody ./cmd/policyctl ./cmd/relayer

# btcd is built apart from our module, at the version the tests pin
# (internal/testtools, scripts/tools.sh).
FROM golang:${GO_VERSION}-${DEBIAN} AS btcd
ARG BTCD_VERSION=v0.26.2
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOBIN=/out go install github.com/btcsuite/btcd@${BTCD_VERSION}

# Runtime: Debian slim for curl (TLS health checks) and CA roots; a fixed
# non-root user. /var/lib/btcd and /var/lib/btcd-rpc are compose volume
# mount points: a new named volume takes the owner of the image directory
# it is mounted on, so they are created here owned by that user.
FROM debian:${DEBIAN}-slim AS runtime
RUN apt-get update && \
    apt-get install -y --no-install-recommends ca-certificates curl && \
    rm -rf /var/lib/apt/lists/* && \
    groupadd --system --gid 10001 policyd && \
    useradd --system --uid 10001 --gid policyd --home-dir /var/lib/policyd --create-home policyd && \
    install -d -o 10001 -g 10001 -m 0750 /var/lib/btcd /var/lib/btcd-rpc
COPY --from=build /out/ /usr/local/bin/
COPY --from=btcd /out/btcd /usr/local/bin/btcd
USER 10001:10001
WORKDIR /var/lib/policyd
ENTRYPOINT []
CMD ["policyd", "--config", "/etc/policyd/config.json"]
