"""fluxs: the Python API of the fluxs resource manager.

Names follow flux-core's Python bindings, so that code written for Flux ports by
changing its import: ``fluxs.Flux()`` connects to the instance of ``FLUXS_URI``;
``fluxs.job`` submits, waits for and follows jobs (``JobspecV1``, ``submit``,
``FluxExecutor``...); ``fluxs.kvs`` reads and writes the KVS. See fluxs-python(7).
"""

from fluxs.core.handle import Flux
from fluxs.core.message import Message

__version__ = "0.1.0"
__all__ = ["Flux", "Message", "__version__"]

from fluxs import constants, job, kvs  # noqa: E402  (submodules, loaded with the package)
