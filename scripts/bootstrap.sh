#!/usr/bin/env bash
# Idempotent setup of everything the project needs on a Debian 12 machine:
#   1. Debian packages the tests and the local infrastructure use (only the missing ones;
#      one `apt-get update`, only when something is missing): poppler-utils, chromium, openssl (test certificates),
#      postgresql, fonts, a JRE and Maven (for the local Kafka broker), python3.11-venv.
#   2. .venv with Python 3.11 (created when missing or broken).
#   3. pip install -r requirements/dev.txt -c requirements/constraints.txt, skipped when
#      .venv/.bootstrap-stamp matches the hash of the requirements files and pyproject.toml files.
#
# Environment: BOOTSTRAP_SKIP_APT=1 skips step 1; PYTHON=/path/to/python3.11 picks the
# interpreter for a new .venv; BOOTSTRAP_FORCE=1 reinstalls the Python packages.
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT"
VENV="$PROJECT/.venv"
STAMP_FILE="$VENV/.bootstrap-stamp"

log() { echo "[bootstrap] $*" >&2; }
die() { echo "[bootstrap] ERROR: $*" >&2; exit 1; }

# ------------------------------------------------------------------ 1. Debian packages
deb_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

apt_packages() {
    if [[ "${BOOTSTRAP_SKIP_APT:-0}" == 1 ]]; then return 0; fi
    if ! command -v dpkg-query >/dev/null; then
        log "not a Debian system: install poppler-utils, chromium, postgresql, a JRE 17 and maven yourself"
        return 0
    fi
    local want=(poppler-utils chromium postgresql fonts-liberation fonts-dejavu-core ca-certificates openssl)
    command -v java >/dev/null || want+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || want+=(maven)
    # Debian's own python3.11 needs python3.11-venv for `-m venv` (pyenv's does not).
    if ! find_python >/dev/null; then want+=(python3.11 python3.11-venv); fi
    local missing=() p
    for p in "${want[@]}"; do deb_installed "$p" || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    if [[ $EUID -ne 0 ]]; then
        die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    fi
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/bootstrap-apt.$$.log 2>&1 \
        || { tail -n 40 /tmp/bootstrap-apt.$$.log >&2; rm -f /tmp/bootstrap-apt.$$.log; die "apt-get install failed"; }
    rm -f /tmp/bootstrap-apt.$$.log
}

# ------------------------------------------------------------------ 2. virtualenv
python_ok() {  # $1 = interpreter: is it 3.11 and able to make a venv with pip?
    "$1" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null
}

find_python() {
    local c
    for c in ${PYTHON:-} python3.11 "${HOME:-/root}"/.pyenv/versions/3.11*/bin/python3.11 /usr/local/bin/python3.11 /usr/bin/python3.11; do
        [[ -n "$c" ]] || continue
        c="$(command -v "$c" 2>/dev/null)" || continue
        python_ok "$c" && { echo "$c"; return 0; }
    done
    return 1
}

ensure_venv() {
    if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'import sys, pip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        return 0
    fi
    local py
    py="$(find_python)" || die "no Python 3.11 with venv support found (set PYTHON=/path/to/python3.11)"
    if [[ -e "$VENV" ]]; then
        log "$VENV is broken or not Python 3.11: recreating it"
        rm -rf "$VENV"
    fi
    log "creating $VENV with $py"
    "$py" -m venv "$VENV"
}

# ------------------------------------------------------------------ 3. Python packages
# requirements/dev.txt with the "-e ./dir" lines whose dir has no package yet left out.
filtered_requirements() {
    local line path
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" =~ ^-e[[:space:]]+(\./[^[:space:]#]+) ]]; then
            path="${BASH_REMATCH[1]}"
            if [[ ! -f "$path/pyproject.toml" && ! -f "$path/setup.py" ]]; then
                log "skipping $path (no pyproject.toml yet)"
                continue
            fi
        fi
        printf '%s\n' "$line"
    done <requirements/dev.txt
}

install_python_packages() {
    [[ -f requirements/dev.txt && -f requirements/constraints.txt ]] || die "requirements/dev.txt or constraints.txt missing"
    local req="$VENV/.bootstrap-requirements.txt" hash
    filtered_requirements >"$req"
    hash="$(
        {
            "$VENV/bin/python" -c 'import sys; print(sys.version)'
            cat requirements/dev.txt requirements/constraints.txt "$req"
            # every pyproject.toml of the project (outside .venv, caches, node_modules)
            find . -name pyproject.toml -not -path './.venv/*' -not -path './.cache/*' \
                -not -path './.data/*' -not -path '*/node_modules/*' -print0 | sort -z \
                | while IFS= read -r -d '' f; do echo "== $f"; cat "$f"; done
        } | sha256sum | cut -d' ' -f1
    )"
    if [[ "${BOOTSTRAP_FORCE:-0}" != 1 && -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$hash" ]]; then
        log "python packages up to date"
        return 0
    fi
    log "installing python packages (requirements/dev.txt, pinned by requirements/constraints.txt)"
    local logf="$VENV/.bootstrap-pip.log"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
            -r "$req" -c requirements/constraints.txt >"$logf" 2>&1; then
        tail -n 40 "$logf" >&2
        die "pip install failed (full log: $logf)"
    fi
    "$VENV/bin/python" -m pip check >"$VENV/.bootstrap-pip-check.log" 2>&1 \
        || log "warning: pip check reports problems (see $VENV/.bootstrap-pip-check.log)"
    echo "$hash" >"$STAMP_FILE"
    log "python packages installed"
}

apt_packages
ensure_venv
install_python_packages
