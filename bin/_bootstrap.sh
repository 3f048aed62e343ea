# Shared helpers for bin/ scripts and .ci/run: install what Lectern needs if it is missing.

ensure_uv() {
  export PATH="$HOME/.local/bin:/usr/local/bin:$PATH"
  if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then return; fi
  echo ">> installing uv"
  if python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv; then
    local bin
    bin=$(python3 -c 'import uv; print(uv.find_uv_bin())')
    ln -sf "$bin" /usr/local/bin/uv 2>/dev/null || ln -sf "$bin" "$HOME/.local/bin/uv"
  else
    curl -LsSf https://astral.sh/uv/install.sh | sh
  fi
  hash -r
}

# Debian packages: WeasyPrint's CJK font and fast subsetting, gettext, and the browser for e2e tests.
SYSTEM_PACKAGES="fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 gettext poppler-utils"

ensure_system_packages() {
  local wanted="$SYSTEM_PACKAGES $*" missing=""
  for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing system packages:$missing"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing system packages with sudo:$missing"
    sudo apt-get update -q >/dev/null
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
  else
    echo "!! please install these packages yourself:$missing (PDFs need the CJK font)" >&2
  fi
}
