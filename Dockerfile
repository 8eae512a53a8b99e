# The sidecar image: the agent, Chromium for browser probes and tini as PID 1.
#
# Build:  docker build -t sloagent .
# Run:    docker run -p 9470:9470 -v sloagent-state:/var/lib/sloagent sloagent
#
# Without a config file the agent runs its embedded default config; mount one
# and pass --config.file to use your own. Base images are build arguments so
# that a mirror or a locally made base (see scripts/image-test) can stand in.
ARG GO_IMAGE=golang:1.26-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
WORKDIR /src
# GOPROXY=off builds from a module cache mounted into the build where no
# proxy is reachable.
ARG GOPROXY=https://proxy.golang.org,direct
ENV GOPROXY=${GOPROXY} CGO_ENABLED=0
COPY go.mod go.sum ./
# The plugin SDK is a module of its own that go.mod replaces with this copy.
COPY plugins/sdk/go.mod plugins/sdk/go.sum ./plugins/sdk/
RUN go mod download
COPY . .
RUN go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/sloagent .

FROM ${BASE_IMAGE}
# tini reaps the zombies Chromium's helper processes and crashed plugins leave
# behind; the agent itself does not run as PID 1. The fonts render pages the
# way a browser on a desktop would, which screenshots of failures rely on.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates chromium fonts-liberation tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# A fixed uid lets Kubernetes' runAsUser and volume ownership match the image.
RUN groupadd --system --gid 10001 sloagent \
 && useradd --system --uid 10001 --gid sloagent --home-dir /var/lib/sloagent \
      --no-create-home --shell /usr/sbin/nologin sloagent \
 && install -d -o sloagent -g sloagent -m 0750 /var/lib/sloagent
COPY --from=build /out/sloagent /usr/local/bin/sloagent
USER sloagent:sloagent
# The state dir holds SLO history; on a fresh volume the budget starts over.
# It is also the working directory, so a relative state_dir in a mounted
# config still lands on the volume.
WORKDIR /var/lib/sloagent
VOLUME ["/var/lib/sloagent"]
EXPOSE 9470
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/sloagent", "probe", "--quiet", "http://127.0.0.1:9470/-/healthy"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sloagent"]
CMD ["--storage.path=/var/lib/sloagent"]
