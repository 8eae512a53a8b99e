# Sourced by scripts/image-test: build and check the slim target, which has
# no shell, so everything is checked from the host.

step "building $slim (--target slim)"
if podman build --format docker --network host --target slim \
	--build-arg "BASE_IMAGE=$base" --build-arg "GO_IMAGE=$builder" --build-arg GOPROXY=off \
	-v "$modcache:/go/pkg/mod" -v "$gocache:/root/.cache/go-build" \
	-t "$slim" -f Dockerfile . >"$tmp/build-slim.log" 2>&1; then
	pass "the slim image builds from the Dockerfile's slim target"
else
	tail -40 "$tmp/build-slim.log"
	die "podman build --target slim failed"
fi
slim_size=$(podman image inspect --format '{{.Size}}' "$slim")
echo "slim image size: $((slim_size / 1000000)) MB ($slim_size bytes)"
if [ "$slim_size" -lt 40000000 ]; then pass "the slim image is under 40 MB"; else fail "the slim image is $slim_size bytes, not under 40 MB"; fi

config=$(podman image inspect --format '{{.Config.User}}|{{json .Config.Healthcheck}}|{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}' "$slim")
case $config in
*sloagent*'"Test":["CMD","/usr/local/bin/sloagent","probe"'*9470/tcp*/var/lib/sloagent*) pass "slim image config: user, healthcheck, port and volume set" ;;
*) fail "slim image config lacks user, healthcheck, port or volume: $config" ;;
esac
if podman run --rm --network none --entrypoint /usr/local/bin/sloagent "$slim" version >"$tmp/slim-chromium" 2>&1 &&
	! podman run --rm --network none --entrypoint /usr/lib/chromium/chromium-headless-shell "$slim" --version >/dev/null 2>&1; then
	pass "the slim image has the agent and no Chromium"
else
	fail "the slim image lacks the agent or has Chromium: $(cat "$tmp/slim-chromium")"
fi

sport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "running $name-slim on 127.0.0.1:$sport"
podman volume create "$volume-slim" >/dev/null
podman run -d --name "$name-slim" --health-interval=disable -p "127.0.0.1:$sport:9470" \
	-v "$volume-slim:/var/lib/sloagent" "$slim" >/dev/null 2>"$tmp/run-slim.log" ||
	{ cat "$tmp/run-slim.log"; die "podman run of the slim image failed"; }
ok=
for _ in $(seq 60); do
	# The embedded default config's probes pass once the agent is up.
	if curl -fsS --max-time 2 "http://127.0.0.1:$sport/metrics" 2>/dev/null |
		grep -Eq '^probe_success\{[^}]*probe="agent-healthy"[^}]*\} 1$'; then
		ok=1
		break
	fi
	[ "$(podman inspect --format '{{.State.Running}}' "$name-slim" 2>/dev/null)" = true ] || break
	sleep 1
done
if [ -n "$ok" ]; then
	pass "the slim image serves /metrics and its probes succeed"
else
	podman logs "$name-slim" 2>&1 | tail -20
	fail "the slim image's agent did not serve a passing probe within 60s"
fi
if podman healthcheck run "$name-slim" >"$tmp/hc-slim" 2>&1; then
	pass "the slim image's HEALTHCHECK passes"
else
	fail "the slim image's HEALTHCHECK failed: $(cat "$tmp/hc-slim")"
fi
# No ps in the image: podman top reads the processes from the host.
top=$(podman top "$name-slim" user pid args 2>&1 || true)
if grep -Eq '^sloagent +1 +/usr/bin/tini -- /usr/local/bin/sloagent' <<<"$top"; then
	pass "tini is PID 1 and runs as sloagent in the slim image"
else
	fail "the slim image's processes are not tini as sloagent: $top"
fi
if podman stop -t 20 "$name-slim" >/dev/null 2>&1 && [ "$(podman inspect --format '{{.State.ExitCode}}' "$name-slim" 2>/dev/null)" = 0 ]; then
	pass "SIGTERM stops the slim image's agent cleanly (exit 0)"
else
	fail "the slim image's agent did not stop cleanly: exit $(podman inspect --format '{{.State.ExitCode}}' "$name-slim" 2>&1 || true)"
fi
# The agent flushes its SLO state on the way out, into the volume.
mnt=$(podman volume inspect --format '{{.Mountpoint}}' "$volume-slim" 2>/dev/null || true)
if [ -n "$(find "$mnt" -type f -user 10001 2>/dev/null | head -1)" ]; then
	pass "the slim image's agent wrote its state to the volume as uid 10001"
else
	[ -n "$mnt" ] && ls -laR "$mnt" | head -20
	fail "no state of the slim image's agent in its volume"
fi
podman rm -f -v -t 0 "$name-slim" >/dev/null 2>&1 || true
