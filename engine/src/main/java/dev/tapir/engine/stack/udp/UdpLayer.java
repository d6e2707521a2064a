package dev.tapir.engine.stack.udp;

import dev.tapir.engine.stack.ip.IpOutput;
import dev.tapir.engine.stack.ip.Ipv4PayloadHandler;
import dev.tapir.engine.stack.stats.LiveCounters;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.wire.UdpDatagram;
import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * The UDP sockets of one stack: demultiplexes received datagrams by destination port after checking length and
 * checksum, and sends what the sockets queued. Binding and unbinding happen on the stack thread.
 */
public final class UdpLayer implements Ipv4PayloadHandler {
    public static final int FIRST_EPHEMERAL_PORT = 49152;
    public static final int DEFAULT_RING_BYTES = 1 << 20;
    /** Datagrams one socket may send per flush, so one busy socket does not starve the others or the receive side. */
    private static final int FLUSH_LIMIT_PER_SOCKET = 256;

    private final LiveCounters<StackCounter> counters;
    private final Int2ObjectHashMap<UdpSocket> byPort = new Int2ObjectHashMap<>();
    private UdpSocket[] sockets = new UdpSocket[8];
    private int socketCount;
    private int nextEphemeral = FIRST_EPHEMERAL_PORT;
    private final UdpDatagram datagram = new UdpDatagram();

    public UdpLayer(LiveCounters<StackCounter> counters) {
        this.counters = counters;
    }

    /**
     * Binds {@code port} (0 for a free ephemeral port) with rings of about {@code ringBytes} each way (0 for the
     * default). Throws IllegalStateException when the port is taken.
     */
    public UdpSocket bind(int port, int ringBytes) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("UDP port must be 0..65535, not " + port);
        }
        int chosen = port == 0 ? freeEphemeralPort() : port;
        if (byPort.containsKey(chosen)) {
            throw new IllegalStateException("UDP port " + chosen + " is already bound");
        }
        UdpSocket socket = new UdpSocket(chosen, UdpSocket.ringBytesFor(ringBytes == 0 ? DEFAULT_RING_BYTES : ringBytes));
        byPort.put(chosen, socket);
        if (socketCount == sockets.length) {
            sockets = Arrays.copyOf(sockets, socketCount * 2);
        }
        sockets[socketCount++] = socket;
        return socket;
    }

    public void unbind(UdpSocket socket) {
        if (byPort.get(socket.localPort()) != socket) {
            return;
        }
        byPort.remove(socket.localPort());
        for (int i = 0; i < socketCount; i++) {
            if (sockets[i] == socket) {
                sockets[i] = sockets[--socketCount];
                sockets[socketCount] = null;
                break;
            }
        }
    }

    private int freeEphemeralPort() {
        for (int tries = 0; tries <= 65535 - FIRST_EPHEMERAL_PORT; tries++) {
            int candidate = nextEphemeral;
            nextEphemeral = candidate == 65535 ? FIRST_EPHEMERAL_PORT : candidate + 1;
            if (!byPort.containsKey(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free ephemeral UDP port");
    }

    @Override
    public void onPayload(long nowNanos, int source, int destination, DirectBuffer buffer, int offset, int length,
            boolean checksumTrusted) {
        if (!datagram.wrap(buffer, offset, length)) {
            counters.increment(StackCounter.UDP_MALFORMED);
            return;
        }
        if (!checksumTrusted && !datagram.checksumValid(source, destination)) {
            counters.increment(StackCounter.UDP_BAD_CHECKSUM);
            return;
        }
        UdpSocket socket = byPort.get(datagram.destinationPort());
        int sourcePort = datagram.sourcePort();
        if (socket == null || socket.filters(source, sourcePort)) {
            counters.increment(StackCounter.UDP_NO_SOCKET);
            return;
        }
        if (socket.deliver(source, sourcePort, buffer, datagram.payloadOffset(), datagram.payloadLength())) {
            counters.increment(StackCounter.UDP_DELIVERED);
        } else {
            counters.increment(StackCounter.UDP_QUEUE_FULL);
        }
    }

    /** Sends what the sockets queued; returns the number of datagrams sent. */
    public int flush(long nowNanos, IpOutput out) {
        int sent = 0;
        for (int i = 0; i < socketCount; i++) {
            sent += sockets[i].flush(nowNanos, out, FLUSH_LIMIT_PER_SOCKET);
        }
        if (sent > 0) {
            counters.add(StackCounter.UDP_SENT, sent);
        }
        return sent;
    }
}
