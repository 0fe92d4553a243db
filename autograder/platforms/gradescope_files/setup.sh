#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (base image
# Ubuntu 22.04): a Python 3.11 virtual environment with the pinned packages grading this
# assignment needs (requirements.txt: the kit's lock, less what this assignment never imports).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"

if ! command -v python3.11 >/dev/null; then
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet --no-deps -r "$ROOT/source/requirements.txt"

# The judge runs as root; the students' code runs as a uid of its own, in a root of its
# own that holds no part of source/: this keeps the hidden tests and the reference
# solution from anyone else on the image as well.
chmod -R go-rwx "$ROOT/source"
