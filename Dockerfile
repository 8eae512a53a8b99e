# The sidecar image: the agent, Chromium's headless shell for browser probes
# and tini as PID 1.
# The slim target is the agent and tini alone (under 40 MB) for agents with
# no browser or command probes.
#
# Build:  docker build -t sloagent .
#         docker build --target slim -t sloagent:slim .
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

# The files of the slim image, gathered from Debian: CA certificates for
# HTTPS probes, a static tini, and users for the non-root uid.
FROM ${BASE_IMAGE} AS slim-files
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/usr/bin /rootfs/var/lib/sloagent /rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && cp /usr/bin/tini-static /rootfs/usr/bin/tini \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nsloagent:x:10001:10001:sloagent:/var/lib/sloagent:/sbin/nologin\n' >/rootfs/etc/passwd \
 && printf 'root:x:0:\nsloagent:x:10001:\n' >/rootfs/etc/group \
 && chmod 1777 /rootfs/tmp

# The slim image: no shell, no package manager, no Chromium. Browser probes
# fail with browser_unavailable and command probes find no checks; HTTP and
# plugin probes (with plugins mounted in) and SLOs work as in the full one.
FROM scratch AS slim
COPY --from=slim-files /rootfs/ /
# The state directory itself, not only its (empty) contents, must belong to
# the user: copy its parent's contents.
COPY --from=slim-files --chown=10001:10001 /rootfs/var/lib/ /var/lib/
COPY --from=build /out/sloagent /usr/local/bin/sloagent
USER sloagent:sloagent
WORKDIR /var/lib/sloagent
VOLUME ["/var/lib/sloagent"]
EXPOSE 9470
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/sloagent", "probe", "--quiet", "http://127.0.0.1:9470/-/healthy"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sloagent"]
CMD ["--storage.path=/var/lib/sloagent"]

# The full image, the default target.
FROM ${BASE_IMAGE}
# Browser probes run Chromium's headless shell, which the agent picks first
# when it is installed (/usr/lib/chromium/chromium-headless-shell): the same
# engine as the full browser without its user interface, for about a quarter
# of the CPU and an eighth of the memory per journey. tini reaps the zombies
# Chromium's helper processes and crashed plugins leave behind; the agent
# itself does not run as PID 1. The fonts render pages the way a browser on a
# desktop would, which screenshots of failures rely on.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates chromium-headless-shell fonts-liberation tini \
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
