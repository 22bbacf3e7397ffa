#!/usr/bin/env bash
# Create .venv if missing and install the pinned requirements when they change.
set -euo pipefail
cd "$(dirname "$0")/.."
want="${1:-requirements.txt}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($python --version)"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.installed-$(basename "$want")"
if [ ! -f "$stamp" ] || [ "$want" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
  echo "installing $want"
  .venv/bin/python -m pip install --quiet -r "$want"
  touch "$stamp"
fi
mkdir -p var
