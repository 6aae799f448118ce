"""The core of the fluxs Python API: handles, messages and futures."""
