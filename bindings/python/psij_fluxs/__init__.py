"""PSI/J support for fluxs: the ``fluxs`` job executor.

PSI/J finds the executor through ``psij-descriptors/fluxs_descriptors.py`` and loads
``psij_fluxs/executor.py`` by file path; importing this package directly gives the same
classes, for users who want to build the executor themselves::

    from psij_fluxs import FluxsJobExecutor, FluxsExecutorConfig
"""
from psij_fluxs.executor import FluxsExecutorConfig, FluxsJobExecutor

__all__ = ['FluxsExecutorConfig', 'FluxsJobExecutor']
