#!/bin/sh
# Makes the sloagent system user and its state directory, which keeps the
# SLO history across upgrades, and restarts a running agent on upgrade.
set -e

if ! getent group sloagent >/dev/null; then
	groupadd --system sloagent
fi
if ! getent passwd sloagent >/dev/null; then
	useradd --system --gid sloagent --home-dir /var/lib/sloagent --no-create-home \
		--shell /usr/sbin/nologin --comment "sloagent synthetic monitoring agent" sloagent
fi
install -d -o sloagent -g sloagent -m 0750 /var/lib/sloagent

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl try-restart sloagent.service >/dev/null 2>&1 || true
fi
exit 0
