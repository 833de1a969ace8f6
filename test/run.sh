#!/usr/bin/env bash
# The whole test suite, as CI runs it: makes sure PostgreSQL, RabbitMQ, Docker (and Keystone and
# Swift) run on this machine, builds the test function images, runs every mocha test, then the
# DevStack plugin harness.
# Services come from the repository's own scripts (test/services/README.md): nothing outside the
# checkout is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/services/base-up.sh
for hook in test/setup.d/*.sh; do
  [ -e "$hook" ] && bash "$hook"
done
export NODE_ENV=test
# The tests and benches are type-checked too (tsx runs them without a check): a renamed type must not
# leave a test on the old name.
npx tsc -p tsconfig.test.json
if [ $# -gt 0 ]; then exec npx mocha "$@"; fi
npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
# The DevStack plugin, for real on this machine (needs dist/: npm run build), and its shell lint.
command -v shellcheck >/dev/null || apt-get install -y -qq shellcheck >/dev/null
shellcheck -x devstack/plugin.sh devstack/lib/fresco devstack/settings test/devstack/*.sh test/setup.d/*.sh \
  test/images/build.sh examples/build.sh runtimes/build.sh test/run.sh .ci/run test/services/*.sh test/services/openstack/*.sh
bash test/devstack/run.sh
