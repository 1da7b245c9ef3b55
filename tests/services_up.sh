#!/usr/bin/env bash
# What the tests need running on this machine, brought up where it can be, or one clear line and exit 1:
# RabbitMQ with its management plugin (the tests create a vhost each through it) and PostgreSQL.
# Used by `make test` and so by CI; a machine where both already run is left as it is.
set -uo pipefail

fail() { echo "make test: $*" >&2; exit 1; }

if ! command -v rabbitmq-diagnostics >/dev/null 2>&1; then
  fail "RabbitMQ is not installed (apt-get install rabbitmq-server, or point TEST_RABBIT_HOST at one)"
fi
if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
  echo "starting RabbitMQ"
  # every test opens connections, several test runs at once more: at the usual 1,024 descriptors the
  # node runs out and its Mnesia tables go (users, vhosts), which only a restart mends
  # (as root the packaged wrapper goes through `su rabbitmq`, whose PAM session puts the soft limit
  # back to 1,024: so the node is started as rabbitmq with the limit raised in that very shell)
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1 && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    (cd /var/lib/rabbitmq && su rabbitmq -s /bin/sh -c \
      "ulimit -n $(ulimit -Hn) 2>/dev/null; /usr/lib/rabbitmq/bin/rabbitmq-server -detached") >/dev/null 2>&1 \
      || fail "could not start RabbitMQ (rabbitmq-server -detached)"
  else
    rabbitmq-server -detached >/dev/null 2>&1 || fail "could not start RabbitMQ (rabbitmq-server -detached)"
  fi
  for _ in $(seq 1 60); do rabbitmq-diagnostics -q ping >/dev/null 2>&1 && break; sleep 1; done
  rabbitmq-diagnostics -q ping >/dev/null 2>&1 || fail "RabbitMQ did not start within 60 s"
  # the node answers a ping before it has finished booting; a plugin enabled meanwhile is written
  # down but not started
  rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1 || fail "RabbitMQ did not finish booting within 60 s"
fi
if ! curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; then
  echo "enabling RabbitMQ's management plugin (the tests create a vhost each through it)"
  rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 \
    || fail "could not enable rabbitmq_management (run: rabbitmq-plugins enable rabbitmq_management)"
  for second in $(seq 1 60); do
    curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 && break; sleep 1
    # enabled on a node that was still busy, the plugin may be written down but not started: ask again
    [ $((second % 15)) -eq 0 ] && rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1
  done
  curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1 \
    || fail "RabbitMQ's management API does not answer on 127.0.0.1:15672"
fi
# the partners' feed reaches their own vhost through a shovel (tests/deploy/test_broker_users.py)
if ! rabbitmq-plugins is_enabled rabbitmq_shovel >/dev/null 2>&1; then
  echo "enabling RabbitMQ's shovel plugin (partners' feed on their own vhost)"
  rabbitmq-plugins enable rabbitmq_shovel >/dev/null 2>&1 \
    || fail "could not enable rabbitmq_shovel (run: rabbitmq-plugins enable rabbitmq_shovel)"
fi

if ! command -v pg_isready >/dev/null 2>&1; then
  fail "PostgreSQL is not installed (apt-get install postgresql): database tests run on it too"
fi
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "starting PostgreSQL"
  cluster="$(ls /etc/postgresql 2>/dev/null | head -n1)"
  [ -n "$cluster" ] || fail "no PostgreSQL cluster under /etc/postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start >/dev/null 2>&1 \
    || fail "could not start PostgreSQL (pg_ctlcluster $cluster main start)"
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || fail "PostgreSQL did not start within 60 s"
fi
psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1" >/dev/null 2>&1 \
  || fail "PostgreSQL answers but user postgres cannot connect from 127.0.0.1 (trust or TEST_PG_ADMIN_DSN)"

# the consoles' browser tests drive the distribution's Chromium through its chromedriver
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium and its driver (browser tests of the consoles)"
    apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } \
      || fail "could not install chromium and chromium-driver (apt-get install chromium chromium-driver)"
  else
    fail "the browser tests need chromium and chromedriver (apt-get install chromium chromium-driver)"
  fi
fi
# and the same Chromium's headless shell, for the sessions that run scripts: ~25 % less CPU than
# Chromium's own headless mode; without it those sessions run on Chromium, slower but the same
if ! command -v chromium-headless-shell >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium's headless shell (the browser tests, at a quarter less CPU)"
    apt-get install -y -q chromium-headless-shell >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium-headless-shell >/dev/null 2>&1; } \
      || echo "could not install chromium-headless-shell: the browser tests run on chromium (slower)"
  else
    echo "no chromium-headless-shell (apt-get install chromium-headless-shell): the browser tests run on chromium (slower)"
  fi
fi

# the consoles' accessibility test runs axe-core (package.json, pinned in package-lock.json) in the
# browser; it is installed from the npm registry by npm's own client, no package's script run
cd "$(dirname "$0")/.." || fail "cannot enter the repository"
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  command -v npm >/dev/null 2>&1 \
    || fail "the accessibility test needs axe-core from npm, and npm is not installed (apt-get install npm)"
  echo "installing axe-core (npm ci --ignore-scripts: the accessibility test of the consoles)"
  npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1 \
    || fail "could not install axe-core (run: npm ci --ignore-scripts)"
fi
exit 0
