#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 (start it, or install it on a bare
# Debian machine), so the store tests can run on it. Idempotent; quiet when all is well.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}

ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ready; then exit 0; fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "PostgreSQL is not installed: installing Debian's package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    conf=$(ls -d /etc/postgresql/*/main | head -n1)
    # Local test server: trust connections from this machine only.
    sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/; s/^(local\s+all\s+all\s+)\S+/\1trust/' "$conf/pg_hba.conf"
  else
    echo "PostgreSQL is not answering on $host:$port and cannot be installed here" >&2
    exit 1
  fi
fi
echo "starting PostgreSQL" >&2
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
for _ in $(seq 1 60); do
  if ready; then exit 0; fi
  sleep 0.5
done
echo "PostgreSQL did not start on $host:$port" >&2
exit 1
