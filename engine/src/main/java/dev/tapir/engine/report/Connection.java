package dev.tapir.engine.report;

/** One data connection as iperf3's start.connected[] lists it. */
public record Connection(int id, String localHost, int localPort, String remoteHost, int remotePort) {
}
