package dev.tapir.engine.transport.kernel;

import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.nativeio.Libc;
import dev.tapir.nativeio.Sockets;
import dev.tapir.nativeio.SyscallException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/** A listening kernel TCP socket; accepted connections get the listener's options. */
public final class KernelStreamListener implements StreamListener {
    private final int fd;
    private final StreamOptions options;
    private final InetSocketAddress localAddress;
    private final MemorySegment pollfd;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean ioUring;

    KernelStreamListener(int fd, StreamOptions options, boolean ioUring) throws SyscallException {
        this.fd = fd;
        this.options = options;
        this.ioUring = ioUring;
        this.localAddress = Sockets.localAddress(fd);
        // automatic arena: an accept may still sit in poll on another thread when close() runs
        this.pollfd = Arena.ofAuto().allocate(Libc.POLLFD);
    }

    @Override
    public StreamConnection accept(int timeoutMillis) throws IOException {
        int conn = Sockets.accept(fd, MemorySegment.NULL, MemorySegment.NULL, Sockets.SOCK_NONBLOCK);
        if (conn == Libc.AGAIN) {
            if (Libc.pollOne(pollfd, fd, Libc.POLLIN, timeoutMillis) == 0 || closed.get()) {
                return null;
            }
            conn = Sockets.accept(fd, MemorySegment.NULL, MemorySegment.NULL, Sockets.SOCK_NONBLOCK);
            if (conn == Libc.AGAIN) {
                return null;
            }
        }
        try {
            KernelTransport.applyAfterAccept(conn, options);
            return new KernelStreamConnection(conn, ioUring);
        } catch (IOException | RuntimeException e) {
            KernelTransport.closeQuietly(conn);
            throw e;
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            KernelTransport.shutdownAndClose(fd);
        }
    }
}
