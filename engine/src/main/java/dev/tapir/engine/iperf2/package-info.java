/**
 * The iperf 2 dialect (wire-compatible with iperf 2.1.8): flyweights over its UDP datagram header, TCP client header,
 * client-header acknowledgement and UDP server report, and the client and server built on them.
 */
package dev.tapir.engine.iperf2;
