package dev.tapir.engine.transport.kernel;

import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.SockAddr;
import dev.tapir.nativeio.Sockets;
import dev.tapir.nativeio.SyscallException;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The transport on the kernel's own TCP and UDP, called through FFM. Every socket is non-blocking; waits happen in
 * poll with the caller's timeout, so a call that finds data or room costs one system call.
 */
public final class KernelTransport implements Transport {
    private static final int LISTEN_BACKLOG = 128;
    /** The call named in the exception when the kernel refuses a congestion control algorithm ({@code -C}). */
    public static final String CONGESTION_CALL = "setsockopt(TCP_CONGESTION)";
    /**
     * UDP receive buffer when the user gave no {@code -w}: a batching sender queues thousands of datagrams in
     * microseconds, and a receiving thread off its core for a few milliseconds (compiler threads in a JVM's first
     * second, another process) overflows a buffer of a few MiB. Loopback, 1470-byte datagrams at {@code -b 0}: 12-26 %
     * lost with 4 MiB, 2-4 % with 64 MiB, none in six runs with 128 MiB, at the same rate. The kernel doubles the value
     * and charges only what is queued, all UDP sockets together within {@code net.ipv4.udp_mem}; past
     * {@code net.core.rmem_max} only a privileged process may go (others get that cap).
     */
    static final int DEFAULT_DATAGRAM_RECEIVE_BUFFER = 128 * 1024 * 1024;

    private final boolean ioUring;

    /** Kernel sockets whose stream connections batch a sender's writes through io_uring where the kernel allows. */
    public KernelTransport() {
        this(true);
    }

    /** With {@code ioUring} false every write is a system call of its own. */
    public KernelTransport(boolean ioUring) {
        this.ioUring = ioUring;
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public StreamListener listen(InetSocketAddress local, StreamOptions options) throws IOException {
        int fd = Sockets.socket(SockAddr.family(local), Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK, 0);
        try {
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1);
            // buffer sizes and MSS must be on the listener: the window scale and MSS go out in the SYN-ACK
            applyBeforeConnect(fd, options);
            Sockets.bind(fd, local);
            Sockets.listen(fd, LISTEN_BACKLOG);
            return new KernelStreamListener(fd, options, ioUring);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    @Override
    public StreamConnection connect(InetSocketAddress remote, InetSocketAddress local, StreamOptions options,
            int timeoutMillis) throws IOException {
        int fd = Sockets.socket(SockAddr.family(remote), Sockets.SOCK_STREAM | Sockets.SOCK_NONBLOCK, 0);
        try {
            applyBeforeConnect(fd, options);
            if (local != null) {
                Sockets.bind(fd, local);
            }
            Sockets.connect(fd, remote, timeoutMillis);
            return new KernelStreamConnection(fd, ioUring);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    @Override
    public DatagramEndpoint bindDatagram(InetSocketAddress local, DatagramOptions options) throws IOException {
        int fd = Sockets.socket(SockAddr.family(local), Sockets.SOCK_DGRAM | Sockets.SOCK_NONBLOCK, 0);
        try {
            if (options.bufferBytes() > 0) {
                Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, options.bufferBytes());
                Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, options.bufferBytes());
            } else {
                setDefaultReceiveBuffer(fd);
            }
            // iperf3's server opens one UDP socket per stream on the same port and connects each to its client.
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_REUSEADDR, 1);
            Sockets.bind(fd, local);
            return new KernelDatagramEndpoint(fd, options.segmentationOffload());
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /** The kernel transport holds no resources of its own: each endpoint closes its socket. */
    @Override
    public void close() {
    }

    /** {@link #DEFAULT_DATAGRAM_RECEIVE_BUFFER}, forced past rmem_max where allowed, else as far as rmem_max. */
    private static void setDefaultReceiveBuffer(int fd) throws SyscallException {
        try {
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVBUFFORCE, DEFAULT_DATAGRAM_RECEIVE_BUFFER);
        } catch (SyscallException e) {
            if (e.errno() != Errno.EPERM) {
                throw e;
            }
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, DEFAULT_DATAGRAM_RECEIVE_BUFFER);
        }
    }

    /** -w, -M, -N, -C: the options that must be set before the handshake. */
    static void applyBeforeConnect(int fd, StreamOptions options) throws SyscallException {
        if (options.windowBytes() > 0) {
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, options.windowBytes());
            Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF, options.windowBytes());
        }
        if (options.mss() > 0) {
            Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_MAXSEG, options.mss());
        }
        applyAfterAccept(fd, options);
    }

    /** -N and -C, which an accepted socket is given again rather than trusting inheritance from the listener. */
    static void applyAfterAccept(int fd, StreamOptions options) throws SyscallException {
        if (options.noDelay()) {
            Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1);
        }
        if (options.congestion() != null) {
            try {
                Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION, options.congestion());
            } catch (SyscallException e) {
                // named, so that ENOENT reads as an unknown algorithm rather than a missing file
                throw new SyscallException(CONGESTION_CALL, e.errno());
            }
        }
    }

    /**
     * Shuts the socket down, which wakes any thread of ours waiting in poll or accept on it, then closes it. The
     * shutdown may fail (ENOTCONN on an unconnected or reset socket, a listener's state): the kernel still wakes the
     * waiters, and close releases the descriptor regardless.
     */
    static void shutdownAndClose(int fd) {
        try {
            Sockets.shutdown(fd, Sockets.SHUT_RDWR);
        } catch (SyscallException ignored) {
            // see above: close below is what matters
        }
        closeQuietly(fd);
    }

    /** Closes a socket on a path that is already failing or shutting down, where a second error adds nothing. */
    static void closeQuietly(int fd) {
        try {
            Sockets.close(fd);
        } catch (SyscallException ignored) {
            // the descriptor is released by the kernel even when close reports an error
        }
    }
}
