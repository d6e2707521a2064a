package dev.tapir.engine.stack;

import dev.tapir.engine.stack.udp.UdpSocket;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.agrona.concurrent.IdleStrategy;

/** A UDP port of the userspace stack; sends and receives go through the socket's rings. */
final class UserspaceDatagramEndpoint implements DatagramEndpoint {
    /** How long {@link #sendTo} waits for room in the send ring before it gives up. */
    private static final int SEND_TO_TIMEOUT_MILLIS = 1_000;
    private static final int PREFERRED_BATCH = 64;

    private final UserspaceTransport transport;
    private final UdpSocket socket;
    private final InetSocketAddress localAddress;
    private final int maxDatagram;
    private final IdleStrategy receiveIdle = UserspaceTransport.idleStrategy();
    private final IdleStrategy sendIdle = UserspaceTransport.idleStrategy();
    private int peerAddress;
    private int peerPort = -1;
    private boolean closed;

    UserspaceDatagramEndpoint(UserspaceTransport transport, UdpSocket socket, InetSocketAddress localAddress,
            int maxDatagram) {
        this.transport = transport;
        this.socket = socket;
        this.localAddress = localAddress;
        this.maxDatagram = maxDatagram;
    }

    @Override
    public void connect(InetSocketAddress remote) throws IOException {
        if (remote.isUnresolved()) {
            throw new IOException("cannot resolve " + remote.getHostString());
        }
        peerAddress = Ipv4Address.of(remote.getAddress());
        peerPort = remote.getPort();
        socket.connect(peerAddress, peerPort);
    }

    @Override
    public int send(MemorySegment src, long offset, int datagramLength, int count) throws IOException {
        if (peerPort < 0) {
            throw new SocketException("datagram endpoint is not connected");
        }
        checkLength(datagramLength);
        for (int i = 0; i < count; i++) {
            if (!socket.offer(peerAddress, peerPort, src, offset + (long) i * datagramLength, datagramLength)) {
                return i;
            }
        }
        return count;
    }

    @Override
    public void sendTo(MemorySegment src, long offset, int length, InetSocketAddress to) throws IOException {
        checkLength(length);
        int address = Ipv4Address.of(to.getAddress());
        long deadline = UserspaceTransport.deadline(SEND_TO_TIMEOUT_MILLIS);
        sendIdle.reset();
        while (!socket.offer(address, to.getPort(), src, offset, length)) {
            if (UserspaceTransport.expired(deadline)) {
                throw new SocketTimeoutException("userspace stack send queue stayed full for "
                        + SEND_TO_TIMEOUT_MILLIS + " ms");
            }
            sendIdle.idle();
        }
    }

    private void checkLength(int length) throws IOException {
        if (closed) {
            throw new SocketException("datagram endpoint is closed");
        }
        if (length < 0 || length > maxDatagram) {
            throw new SocketException("datagram of " + length + " bytes does not fit the link (at most " + maxDatagram
                    + "; the userspace stack does not fragment)");
        }
    }

    @Override
    public int receive(DatagramBatch batch, int timeoutMillis) {
        long deadline = UserspaceTransport.deadline(timeoutMillis);
        receiveIdle.reset();
        while (true) {
            int received = socket.receive(batch);
            if (received > 0 || closed || UserspaceTransport.expired(deadline)) {
                return received;
            }
            receiveIdle.idle();
        }
    }

    @Override
    public InetSocketAddress lastSource() {
        return UserspaceTransport.endpoint(socket.lastSourceAddress(), socket.lastSourcePort());
    }

    @Override
    public int preferredBatch() {
        return PREFERRED_BATCH;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            transport.unbind(socket);
        }
    }
}
