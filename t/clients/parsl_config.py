"""Parsl configuration for running Parsl's own test suite on fluxs (t/clients/parsl.sh).

One HighThroughputExecutor whose single block is a ``fluxs batch`` job of one
node, submitted by parsl_fluxs.FluxsProvider to the instance FLUXS_URI names:
the shape of Parsl's own CI configurations for Slurm and HTCondor
(parsl/tests/configs/slurm_local.py, htcondor_ci.py).  The workers run on this
machine, so they reach the interchange on the loopback address.
"""

import os
import sys

# parsl_fluxs lives in bindings/python of the source tree, two levels up.
_BINDINGS = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "..", "..", "bindings", "python"))
if _BINDINGS not in sys.path:
    sys.path.insert(0, _BINDINGS)

from parsl.config import Config  # noqa: E402
from parsl.executors import HighThroughputExecutor  # noqa: E402
from parsl.launchers import SingleNodeLauncher  # noqa: E402

from parsl_fluxs import FluxsProvider  # noqa: E402


def fresh_config():
    """A new Config (Parsl's conftest calls this once per session)."""
    return Config(
        executors=[
            HighThroughputExecutor(
                label="fluxs_htex",
                address="127.0.0.1",
                loopback_address="127.0.0.1",
                encrypted=True,
                provider=FluxsProvider(
                    cmd_timeout=60,
                    nodes_per_block=1,
                    init_blocks=1,
                    min_blocks=1,
                    max_blocks=1,
                    walltime="02:00:00",
                    launcher=SingleNodeLauncher(),
                    polling_interval=2,
                ),
            )
        ],
    )
