"""The initial program of the fluxs instance that FluxsExecutor starts.

    fluxs start python instance_manager.py PROTOCOL HOST PORT

Connects to the executor's ZeroMQ socket at PROTOCOL://HOST:PORT and tells it,
in turn, where the ``fluxs`` Python package is (a directory for sys.path, empty
when it is not importable here) and the URI of this instance; then waits for the
executor's word to stop, lets the jobs still queued or running end (``fluxs
queue drain``), and exits, which ends the instance.
"""

import argparse
import logging
import os
import socket
import subprocess
import sys

import zmq


def _fluxs_package_dir() -> str:
    try:
        import fluxs
    except ImportError:
        return ""
    return os.path.dirname(os.path.dirname(os.path.realpath(fluxs.__file__)))


def _instance_uri(executor_host: str) -> str:
    uri = os.environ.get("FLUXS_URI", "")
    if not uri:
        out = subprocess.run(["fluxs", "getattr", "local-uri"], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True)
        uri = out.stdout.strip()
    here = socket.gethostname()
    if executor_host not in (here, "127.0.0.1", "localhost", "::1") and uri.startswith("local://"):
        # Reached from another host: through ssh, as Flux's URIs allow.
        uri = "ssh://" + here + uri[len("local://"):]
    return uri


def main(argv=None) -> int:
    logging.basicConfig(level=logging.DEBUG, format="%(asctime)s [%(levelname)s] %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", help="protocol of the executor's socket (tcp)")
    parser.add_argument("host", help="host of the executor's socket")
    parser.add_argument("port", help="port of the executor's socket")
    args = parser.parse_args(argv)

    address = socket.gethostbyname(args.host) if args.protocol == "tcp" else args.host
    with zmq.Context() as context, context.socket(zmq.REQ) as sock:
        sock.setsockopt(zmq.LINGER, 1000)
        sock.connect("{}://{}:{}".format(args.protocol, address, args.port))
        sock.send(_fluxs_package_dir().encode())
        logging.debug("fluxs package location sent")
        sock.recv()  # the executor has loaded the package
        uri = _instance_uri(args.host)
        sock.send(uri.encode())
        logging.debug("instance URI %s sent; waiting for the word to stop", uri)
        word = sock.recv()
        logging.debug("received %r: letting the jobs end", word)
    subprocess.run(["fluxs", "queue", "drain"], check=False)
    logging.debug("every job has ended; the instance stops")
    return 0


if __name__ == "__main__":
    sys.exit(main())
