#!/bin/sh
# The SLO history stays when the package is removed; purging it (dpkg
# --purge) removes it too. The sloagent user stays, as Debian's policy
# asks, so files it may still own elsewhere keep a name.
set -e
if [ "$1" = purge ]; then
	rm -rf /var/lib/sloagent
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
