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
 * The UDP sockets of one stack: demultiplexes received datagrams after checking length and checksum, and sends what
 * the sockets queued. Binding and unbinding happen on the stack thread.
 *
 * <p>Several sockets may share a port when all of them were bound with reuse (SO_REUSEADDR, as iperf3's server does:
 * one socket per stream on its port, each connected to its client). A datagram goes to the most specific match, as in
 * the kernel: a socket connected to its source address and port, else an unconnected socket (the newest), else none.
 * The sockets of a port form a chain from one primitive-keyed map entry, so a lookup is one map probe and a walk over
 * the few sockets on that port, without allocating.
 */
public final class UdpLayer implements Ipv4PayloadHandler {
    public static final int FIRST_EPHEMERAL_PORT = 49152;
    public static final int DEFAULT_RING_BYTES = 1 << 20;
    /** Datagrams one socket may send per flush, so one busy socket does not starve the others or the receive side. */
    private static final int FLUSH_LIMIT_PER_SOCKET = 256;

    private final LiveCounters<StackCounter> counters;
    /** The newest socket on each bound port, heading the chain through {@link UdpSocket#nextOnPort}. */
    private final Int2ObjectHashMap<UdpSocket> byPort = new Int2ObjectHashMap<>();
    private UdpSocket[] sockets = new UdpSocket[8];
    private int socketCount;
    private int nextEphemeral = FIRST_EPHEMERAL_PORT;
    private final UdpDatagram datagram = new UdpDatagram();

    public UdpLayer(LiveCounters<StackCounter> counters) {
        this.counters = counters;
    }

    /**
     * Binds {@code port} (0 for a free ephemeral port) for this socket alone, with rings of about {@code ringBytes}
     * each way (0 for the default). Throws IllegalStateException when the port is taken.
     */
    public UdpSocket bind(int port, int ringBytes) {
        return bind(port, ringBytes, false);
    }

    /**
     * Binds {@code port} (0 for a free ephemeral port) with rings of about {@code ringBytes} each way (0 for the
     * default). With {@code reuseAddress} the port may be shared with sockets that were bound with it too. Throws
     * IllegalStateException when the port is taken by a socket that does not share it, or this one does not.
     */
    public UdpSocket bind(int port, int ringBytes, boolean reuseAddress) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("UDP port must be 0..65535, not " + port);
        }
        int chosen = port == 0 ? freeEphemeralPort() : port;
        UdpSocket newest = byPort.get(chosen);
        if (newest != null && !(reuseAddress && allReuse(newest))) {
            throw new IllegalStateException("UDP port " + chosen + " is already bound");
        }
        UdpSocket socket = new UdpSocket(chosen, reuseAddress,
                UdpSocket.ringBytesFor(ringBytes == 0 ? DEFAULT_RING_BYTES : ringBytes));
        socket.nextOnPort = newest;
        byPort.put(chosen, socket);
        if (socketCount == sockets.length) {
            sockets = Arrays.copyOf(sockets, socketCount * 2);
        }
        sockets[socketCount++] = socket;
        return socket;
    }

    private static boolean allReuse(UdpSocket chain) {
        for (UdpSocket s = chain; s != null; s = s.nextOnPort) {
            if (!s.reuseAddress()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Closes {@code socket}'s binding; its port stays bound while other sockets share it. Unbinding twice is
     * harmless.
     */
    public void unbind(UdpSocket socket) {
        int port = socket.localPort();
        UdpSocket newest = byPort.get(port);
        if (newest == socket) {
            if (socket.nextOnPort == null) {
                byPort.remove(port);
            } else {
                byPort.put(port, socket.nextOnPort);
            }
        } else {
            UdpSocket before = newest;
            while (before != null && before.nextOnPort != socket) {
                before = before.nextOnPort;
            }
            if (before == null) {
                return;
            }
            before.nextOnPort = socket.nextOnPort;
        }
        socket.nextOnPort = null;
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
        int sourcePort = datagram.sourcePort();
        UdpSocket socket = receiverOf(datagram.destinationPort(), source, sourcePort);
        if (socket == null) {
            counters.increment(StackCounter.UDP_NO_SOCKET);
            return;
        }
        if (socket.deliver(source, sourcePort, buffer, datagram.payloadOffset(), datagram.payloadLength())) {
            counters.increment(StackCounter.UDP_DELIVERED);
        } else {
            counters.increment(StackCounter.UDP_QUEUE_FULL);
        }
    }

    /**
     * The socket a datagram from {@code source}:{@code sourcePort} to {@code port} goes to: one connected to exactly
     * that source, else the newest unconnected one, else null.
     */
    UdpSocket receiverOf(int port, int source, int sourcePort) {
        long from = UdpSocket.peerKey(source, sourcePort);
        UdpSocket unconnected = null;
        for (UdpSocket s = byPort.get(port); s != null; s = s.nextOnPort) {
            long peer = s.connectedPeer();
            if (peer == from) {
                return s;
            }
            if (peer == UdpSocket.NO_PEER && unconnected == null) {
                unconnected = s;
            }
        }
        return unconnected;
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
