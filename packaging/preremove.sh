#!/bin/sh
# Stops the agent when the package is removed, not when it is upgraded
# (dpkg says "remove", rpm passes 0 packages left).
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now sloagent.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
