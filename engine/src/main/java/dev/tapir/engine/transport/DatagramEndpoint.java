package dev.tapir.engine.transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * A datagram (UDP) endpoint. Sends and receives move batches, so that a transport can hand many datagrams to the
 * network per call (sendmmsg/recvmmsg, UDP GSO/GRO, or a userspace stack's own queues). No call allocates.
 */
public interface DatagramEndpoint extends AutoCloseable {
    /** Fixes the peer: sends go to it, and only its datagrams are received. */
    void connect(InetSocketAddress remote) throws IOException;

    /**
     * Sends {@code count} datagrams of {@code datagramLength} bytes each, laid back to back in {@code src} from
     * {@code offset}, to the connected peer; returns how many were sent (0 when the transport had no room).
     */
    int send(MemorySegment src, long offset, int datagramLength, int count) throws IOException;

    /** Sends one datagram to {@code to} (replies from an unconnected endpoint). */
    void sendTo(MemorySegment src, long offset, int length, InetSocketAddress to) throws IOException;

    /**
     * Receives what is queued, up to the batch's capacity, waiting at most {@code timeoutMillis} for the first
     * datagram; returns the number received (also {@link DatagramBatch#count()}), 0 on timeout.
     */
    int receive(DatagramBatch batch, int timeoutMillis) throws IOException;

    /**
     * Asks that received datagrams carry their arrival time as the kernel took it ({@link
     * DatagramBatch#arrivalEpochMicros}), free of the receiving thread's wake-up delay, as iperf 2's server measures
     * transit and jitter. Transports that cannot leave the times at 0.
     */
    default void stampArrivals() throws IOException {
    }

    /** The sender of the last datagram received (allocates; for set-up, not for the hot loop). */
    InetSocketAddress lastSource();

    /** How many datagrams one {@link #send} call should carry to be efficient on this transport. */
    int preferredBatch();

    InetSocketAddress localAddress();

    @Override
    void close();
}
