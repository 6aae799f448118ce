/* ZeroMQ, as the overlay (man7/fluxs-protocol.7) uses it. */
#include <zmq.h>
