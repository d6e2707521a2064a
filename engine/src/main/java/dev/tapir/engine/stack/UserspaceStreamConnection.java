package dev.tapir.engine.stack;

import dev.tapir.engine.stack.tcp.TcpSocket;
import dev.tapir.engine.stack.tcp.UserWakeup;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.TcpStats;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.function.BooleanSupplier;

/**
 * A TCP connection of the userspace stack. Reads and writes copy between the caller's segment and the socket's rings
 * (the only copy on the user side); the reading and the writing thread each wait on their own {@link UserWakeup}:
 * spin, yield, then park until the stack thread has news.
 */
final class UserspaceStreamConnection implements StreamConnection {
    private final TcpSocket socket;
    private final InetSocketAddress localAddress;
    private final InetSocketAddress remoteAddress;
    private final BooleanSupplier readReady;
    private final BooleanSupplier writeReady;

    UserspaceStreamConnection(TcpSocket socket) {
        this.socket = socket;
        this.readReady = socket::readReady;
        this.writeReady = socket::writeReady;
        this.localAddress = UserspaceTransport.endpoint(socket.localAddress(), socket.localPort());
        this.remoteAddress = UserspaceTransport.endpoint(socket.remoteAddress(), socket.remotePort());
    }

    @Override
    public int write(MemorySegment src, long offset, int length, int timeoutMillis) throws IOException {
        int written = socket.write(src, offset, length);
        if (written > 0 || length == 0) {
            // The common case is one call into the ring: no clock read, no idle strategy.
            return written;
        }
        long deadline = UserspaceTransport.deadline(timeoutMillis);
        UserWakeup wakeup = socket.writeWakeup();
        wakeup.reset();
        while (true) {
            if (written < 0) {
                throw new SocketException(socket.isReset() ? "connection reset" : "connection closed for sending");
            }
            if (UserspaceTransport.expired(deadline)) {
                return 0;
            }
            wakeup.idle(writeReady, deadline);
            written = socket.write(src, offset, length);
            if (written > 0) {
                return written;
            }
        }
    }

    @Override
    public int read(MemorySegment dst, long offset, int length, int timeoutMillis) throws IOException {
        int read = socket.read(dst, offset, length);
        if (read > 0 || length == 0) {
            return read;
        }
        long deadline = UserspaceTransport.deadline(timeoutMillis);
        UserWakeup wakeup = socket.readWakeup();
        wakeup.reset();
        while (true) {
            if (read < 0) {
                if (socket.isReset()) {
                    throw new SocketException("connection reset");
                }
                return EOF;
            }
            if (UserspaceTransport.expired(deadline)) {
                return 0;
            }
            wakeup.idle(readReady, deadline);
            read = socket.read(dst, offset, length);
            if (read > 0) {
                return read;
            }
        }
    }

    @Override
    public void shutdownOutput() {
        socket.shutdownOutput();
    }

    @Override
    public long unacknowledgedBytes() {
        return socket.isReset() ? 0 : socket.unacknowledgedBytes();
    }

    @Override
    public boolean tcpStats(TcpStats into) {
        return socket.tcpStats(into);
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remoteAddress;
    }

    @Override
    public void close() {
        socket.close();
    }
}
