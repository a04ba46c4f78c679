#!/usr/bin/env bash
# Type-checks sst.config.ts against SST's generated platform types, offline but for the npm registry:
# `sst install` writes .sst/platform (config.d.ts and the Pulumi AWS provider's types, installed with the
# `bun` npm package), then tsc checks the config (tsconfig.sst.json). It never deploys, diffs or reaches
# AWS: Pulumi's own download is skipped, telemetry off, no AWS credentials are looked up.
set -euo pipefail
cd "$(dirname "$0")/.."
export SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 AWS_EC2_METADATA_DISABLED=true
export SST_BUN_PATH="$PWD/node_modules/bun/bin/bun.exe"
npx --no-install sst install --stage ci
npx --no-install tsc -p tsconfig.sst.json
echo "sst.config.ts type-checks against SST's platform types ($(cat .sst/platform/version 2>/dev/null || echo unknown version))"
