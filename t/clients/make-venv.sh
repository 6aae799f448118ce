#!/usr/bin/env bash
# Makes (once) the virtual environment that `make check-clients` runs the ExaWorks
# clients' own test suites in: psij-python 0.9.11 and parsl 2026.10.26 from PyPI, with
# what their suites need to be collected (pytest<9, parsl[monitoring] for sqlalchemy, and
# pandas, which parsl's test_regression/test_226.py imports and only parsl's
# visualization extra brings).
#   t/clients/make-venv.sh DIR
set -euo pipefail
venv=${1:?usage: make-venv.sh DIR}
stamp="$venv/.fluxs-clients-2"
[ -e "$stamp" ] && exit 0
python=${CLIENTS_PYTHON:-python3}
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    'psij-python==0.9.11' 'parsl[monitoring]==2026.10.26' 'pandas>=2.2,<3' 'pytest<9' \
    pytest-timeout
touch "$stamp"
