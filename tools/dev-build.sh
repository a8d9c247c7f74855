#!/usr/bin/env bash
# Builds the addon into native/build-NAME (CPU only unless GRAFT_CUDA is set), for working on kernels
# without touching the default build: GRAFT_ADDON_PATH=native/build-NAME/Release/graft.node npx vitest ...
set -euo pipefail
name=${1:?usage: tools/dev-build.sh NAME}
cd "$(dirname "$0")/.."
node node_modules/cmake-js/bin/cmake-js compile --directory native --out "native/build-$name" \
  --config Release --CDGRAFT_CUDA="${GRAFT_CUDA:-OFF}" --parallel 2 >/tmp/graft-build-$name.log 2>&1 \
  || { tail -40 /tmp/graft-build-$name.log; exit 1; }
echo "built native/build-$name/Release/graft.node"
