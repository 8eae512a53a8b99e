# Sourced by scripts/image-test: make the .deb and .rpm with scripts/release
# (linux/amd64 only: the check needs nothing else), install the .deb in the
# Debian base image, and check that it works there as it is.

step "making the packages with scripts/release"
dist=$tmp/dist
if RELEASE_DIST=$dist RELEASE_TARGETS=linux/amd64 scripts/release 0.0.0-test.1 >"$tmp/release.log" 2>&1; then
	pass "scripts/release builds the binary, the .deb, the .rpm and their checksums"
else
	tail -30 "$tmp/release.log"
	die "scripts/release failed"
fi
deb=$(ls "$dist"/sloagent_*_amd64.deb)
rpmfile=$(ls "$dist"/sloagent-*.x86_64.rpm)
if (cd "$dist" && sha256sum --quiet -c sha256sums.txt); then pass "sha256sums.txt matches every file"; else fail "sha256sums.txt does not match"; fi

if files=$(rpm -qpl "$rpmfile" 2>"$tmp/rpm.err"); then
	missing=
	for f in /usr/bin/sloagent /usr/lib/systemd/system/sloagent.service /etc/sloagent/agent.yml; do
		grep -qx "$f" <<<"$files" || missing="$missing $f"
	done
	if [ -z "$missing" ] && rpm -qp --configfiles "$rpmfile" 2>/dev/null | grep -qx /etc/sloagent/agent.yml &&
		rpm -qp --scripts "$rpmfile" 2>/dev/null | grep -q 'useradd --system'; then
		pass "the .rpm installs the binary, the unit and the config (a config file), and makes the user"
	else
		echo "$files"
		fail "the .rpm lacks$missing, or its config or scripts"
	fi
else
	cat "$tmp/rpm.err"
	fail "rpm -qpl could not read the .rpm"
fi

step "installing the .deb in $base"
cat >"$tmp/deb-check.sh" <<'EOS'
set -eu
dpkg -i /dist/pkg.deb
echo "--- sloagent version"
sloagent version
sloagent --version
echo "--- check-config"
sloagent check-config /etc/sloagent/agent.yml
echo "--- user and state directory"
getent passwd sloagent
stat -c '%U:%G %a %n' /var/lib/sloagent
dpkg -s sloagent | grep -E '^(Version|Status):'
dpkg-query -W -f='${Conffiles}\n' sloagent
echo "--- run as sloagent with the packaged config, as the unit runs it"
cd /var/lib/sloagent
setpriv --reuid=sloagent --regid=sloagent --init-groups \
	sloagent --config.file=/etc/sloagent/agent.yml --storage.path=/var/lib/sloagent --web.listen-address=:9470 &
pid=$!
for _ in $(seq 30); do
	sloagent probe --quiet http://127.0.0.1:9470/-/healthy && break
	sleep 1
done
sleep 2
sloagent probe --quiet http://127.0.0.1:9470/-/ready
kill -TERM $pid
wait $pid
echo "--- state written by sloagent"
find /var/lib/sloagent -type f -user sloagent | head -3
echo "--- remove, then purge"
dpkg -r sloagent
test -d /var/lib/sloagent
dpkg -P sloagent
test ! -e /var/lib/sloagent
echo DEB-CHECK-OK
EOS
cp "$deb" "$dist/pkg.deb"
if podman run --name "$name-deb" --rm --network none -v "$dist:/dist:ro" -v "$tmp/deb-check.sh:/deb-check.sh:ro" \
	"$base" sh /deb-check.sh >"$tmp/deb.log" 2>&1 && grep -q DEB-CHECK-OK "$tmp/deb.log"; then
	sed 's/^/    /' "$tmp/deb.log" | grep -v '^    \(Selecting\|Preparing\|Unpacking\|Setting up\|(Reading\)' || true
	pass "the .deb installs in Debian: version, check-config, the sloagent user owning /var/lib/sloagent, the agent serving as it, remove and purge"
else
	cat "$tmp/deb.log"
	fail "the .deb does not install or run in $base"
fi
