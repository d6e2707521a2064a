package dev.tapir.engine.report;

/**
 * A UDP receiver's figures (or a sender's, with zeros).
 *
 * @param packets total datagrams as iperf reports them (receiver: the highest sequence number; sender: sent)
 * @param lostPackets datagrams lost
 */
public record UdpFigures(double jitterMillis, long lostPackets, long packets, long outOfOrder) {
    public double lostPercent() {
        return packets > 0 ? 100.0 * lostPackets / packets : 0;
    }
}
