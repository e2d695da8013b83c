#!/usr/bin/env bash
# Installs the Debian packages of the real test peers (skips what is present).
# Each line: <command or file that must exist> <debian package>
set -euo pipefail
need=()
while read -r cmd pkg; do
  [ -z "${cmd:-}" ] && continue
  case "$cmd" in \#*) continue ;; esac
  command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ] || need+=("$pkg")
done < "$(dirname "$0")/packages.txt"
if [ ${#need[@]} -eq 0 ]; then echo "peers: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "peers: missing ${need[*]} (run as root to install)" >&2; exit 1; fi
echo "peers: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# postfix (for smtp-sink) asks which mail setup to write: none, so no MTA is configured or run.
case " ${need[*]} " in
  *" postfix "*) echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections ;;
esac
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
