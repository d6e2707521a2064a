package dev.tapir.engine.report;

/**
 * One stream's final figures, both sides.
 *
 * @param id the stream's id (iperf3 prints the socket number)
 * @param sent what the sending side sent ({@link Transfer#NONE} on a side that did not send)
 * @param received what the receiving side received
 * @param tcp the sender's TCP figures, or {@link TcpFigures#UNKNOWN} (and always for UDP)
 * @param udp the receiver's UDP figures, or null for TCP
 * @param sentPackets datagrams sent (UDP), 0 for TCP
 * @param sentHere this side sent the stream (with {@code --bidir} some streams go each way)
 */
public record StreamResult(int id, Transfer sent, Transfer received, TcpFigures tcp, UdpFigures udp,
        long sentPackets, boolean sentHere) {
}
