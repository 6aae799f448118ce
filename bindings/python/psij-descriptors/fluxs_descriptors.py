"""Registers the fluxs executor with PSI/J.

PSI/J scans every ``psij-descriptors`` folder on ``sys.path`` (a namespace package: this
folder has no ``__init__.py``) for modules declaring ``__PSI_J_EXECUTORS__``, and loads the
class named by ``cls`` from ``psij_fluxs/executor.py`` in the same root, by file path.
With ``bindings/python`` on ``PYTHONPATH``, ``JobExecutor.get_instance('fluxs')`` works.
"""
from packaging.version import Version
from psij.descriptor import Descriptor

__PSI_J_EXECUTORS__ = [
    Descriptor(name='fluxs', nice_name='fluxs', version=Version('0.1.0'),
               cls='psij_fluxs.executor.FluxsJobExecutor'),
]
