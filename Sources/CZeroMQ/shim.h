#include <zmq.h>

/* zmq.h defines ETERM as an expression over ZMQ_HAUSNUMERO; give Swift a plain constant. */
static const int czmq_eterm = ETERM;
