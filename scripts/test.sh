#!/usr/bin/env bash
# `npm test`: typecheck, lint, the schema/migrations check, unit and integration tests (real
# PostgreSQL), then browser tests (Playwright in Debian's Chromium) against a production build.
# Needs PostgreSQL at TEST_POSTGRES_URL (a superuser that can create databases) and /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

# Next.js would otherwise try to send usage telemetry to its own servers during the build.
export NEXT_TELEMETRY_DISABLED=1
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
mkdir -p reports
rm -f reports/vitest.json reports/e2e-results.json

print_summary() {
  node scripts/test-summary.mjs reports/vitest.json reports/e2e-results.json || true
}
trap print_summary EXIT

echo "== typecheck"
npm run --silent typecheck

echo "== lint"
npm run --silent lint

echo "== schema and migrations agree"
DATABASE_URL="$TEST_POSTGRES_URL" npm run --silent db:migrate:check

echo "== unit and integration tests"
npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json

echo "== production build"
SKIP_ENV_VALIDATION=1 npx next build

echo "== browser tests"
CI=1 npx playwright test
