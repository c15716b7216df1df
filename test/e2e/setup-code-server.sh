#!/usr/bin/env bash
# Prepares an offline VS Code (code-server 4.100.3 = VS Code 1.100.3, Node 20)
# for the in-editor tests, following ENGINEERING.md: npm packages only, native
# modules rebuilt here, Debian's ripgrep instead of a download. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/.vscode-test/cs"
vs="$dir/node_modules/code-server/lib/vscode"

if [ ! -f "$dir/.ready" ]; then
  mkdir -p "$dir"
  cd "$dir"
  [ -f package.json ] || echo '{"name":"vmsec-code-server","private":true}' > package.json
  npm install --ignore-scripts --no-audit --no-fund code-server@4.100.3 >/dev/null
  cd "$vs"
  npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null
  # Native modules: build each one that has a binding.gyp (the server needs @vscode/spdlog).
  find node_modules -name binding.gyp -not -path '*/test/*' | while read -r gyp; do
    pkg="$(dirname "$gyp")"
    (cd "$pkg" && npx --yes node-gyp rebuild >/dev/null 2>&1) || echo "setup: could not build $pkg (not needed by the tests)"
  done
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  [ -e node_modules.asar ] || ln -s node_modules node_modules.asar
  touch "$dir/.ready"
fi
echo "$vs"
