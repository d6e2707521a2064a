package dev.tapir.engine.transport.kernel;

import dev.tapir.engine.transport.BatchWriter;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.TcpStats;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.IoUring;
import dev.tapir.nativeio.Libc;
import dev.tapir.nativeio.Sockets;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.TcpInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connected kernel TCP socket (non-blocking). The reader and the writer each have their own pollfd, and the
 * TCP_INFO sampler its own buffer, so the three may run on different threads without allocating. Its
 * {@link #batchWriter()} hands a batch of writes to the kernel in one {@code io_uring_enter} where allowed.
 */
public final class KernelStreamConnection implements StreamConnection {
    /** Bytes of tcp_info up to and including tcpi_total_retrans: every field tcpStats reads. */
    private static final long TCP_INFO_NEEDED =
            TcpInfo.LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("tcpi_pacing_rate"));
    /** Bytes of tcp_info up to and including tcpi_snd_wnd (Linux 5.4 on); older kernels leave the window unknown. */
    private static final long TCP_INFO_WITH_SND_WND = TcpInfo.LAYOUT.byteSize();

    private final int fd;
    private final MemorySegment readPollfd;
    private final MemorySegment writePollfd;
    private final MemorySegment tcpInfo;
    private final MemorySegment tcpInfoLength;
    private final String congestion;
    private final InetSocketAddress localAddress;
    private final InetSocketAddress remoteAddress;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean ioUring;

    KernelStreamConnection(int fd, boolean ioUring) throws SyscallException {
        this.fd = fd;
        this.ioUring = ioUring;
        // automatic arena: a reader may still sit in poll on another thread when close() runs
        Arena arena = Arena.ofAuto();
        this.readPollfd = arena.allocate(Libc.POLLFD);
        this.writePollfd = arena.allocate(Libc.POLLFD);
        this.tcpInfo = arena.allocate(TcpInfo.LAYOUT);
        this.tcpInfoLength = arena.allocate(ValueLayout.JAVA_INT);
        this.congestion = Sockets.getsockoptString(fd, Sockets.IPPROTO_TCP, Sockets.TCP_CONGESTION,
                Sockets.TCP_CA_NAME_MAX);
        this.localAddress = Sockets.localAddress(fd);
        this.remoteAddress = Sockets.remoteAddress(fd);
    }

    @Override
    public int write(MemorySegment src, long offset, int length, int timeoutMillis) throws IOException {
        int n = Sockets.send(fd, src, offset, length, Sockets.MSG_NOSIGNAL);
        if (n == Libc.AGAIN) {
            if (Libc.pollOne(writePollfd, fd, Libc.POLLOUT, timeoutMillis) == 0) {
                return 0;
            }
            n = Sockets.send(fd, src, offset, length, Sockets.MSG_NOSIGNAL);
        }
        return n == Libc.AGAIN ? 0 : n;
    }

    /** Through io_uring unless this transport was made without it or the kernel refuses it; else one write each. */
    @Override
    public BatchWriter batchWriter() throws IOException {
        IoUring ring = ioUring ? IoUring.openIfAllowed(RingBatchWriter.MAX_SLICES) : null;
        return ring == null ? BatchWriter.oneByOne(this) : new RingBatchWriter(ring);
    }

    /**
     * The slices go out as a chain of linked sends with MSG_DONTWAIT | MSG_WAITALL: each send starts only once the one
     * before went out whole, and one that cannot (no room, or room for part of it) ends the chain, so the stream has
     * no gap. Every send has completed when io_uring_enter returns.
     */
    private final class RingBatchWriter implements BatchWriter {
        static final int MAX_SLICES = 32;
        private static final int SEND_FLAGS = Sockets.MSG_DONTWAIT | Sockets.MSG_WAITALL | Sockets.MSG_NOSIGNAL;

        private final IoUring ring;
        private final int[] results = new int[MAX_SLICES];
        private final IoUring.CompletionHandler onCompletion = (slice, result) -> results[(int) slice] = result;

        RingBatchWriter(IoUring ring) {
            this.ring = ring;
        }

        @Override
        public int writeEach(MemorySegment src, long[] offsets, int[] lengths, int count, int timeoutMillis)
                throws IOException {
            int slices = Math.min(count, MAX_SLICES);
            int n = sendChain(src, offsets, lengths, slices);
            if (n == Libc.AGAIN) {
                if (Libc.pollOne(writePollfd, fd, Libc.POLLOUT, timeoutMillis) == 0) {
                    return 0;
                }
                n = sendChain(src, offsets, lengths, slices);
            }
            return n == Libc.AGAIN ? 0 : n;
        }

        /** Bytes written, or {@link Libc#AGAIN} when not even the first slice found room. */
        private int sendChain(MemorySegment src, long[] offsets, int[] lengths, int slices) throws SyscallException {
            long base = src.address();
            for (int i = 0; i < slices; i++) {
                ring.prepareSend(fd, base + offsets[i], lengths[i], SEND_FLAGS, i < slices - 1, i);
            }
            ring.submitAndWait(slices);
            ring.drainCompletions(onCompletion);
            long total = 0;
            for (int i = 0; i < slices; i++) {
                int result = results[i];
                if (result == -Errno.EAGAIN || result == -Errno.ECANCELED) {
                    return i == 0 && result == -Errno.EAGAIN ? Libc.AGAIN : (int) total;
                }
                if (result < 0) {
                    throw new SyscallException("send", -result);
                }
                total += result;
                if (result < lengths[i]) {
                    break;
                }
            }
            return (int) total;
        }

        @Override
        public void close() {
            try {
                ring.close();
            } catch (SyscallException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public int read(MemorySegment dst, long offset, int length, int timeoutMillis) throws IOException {
        int n = Sockets.recv(fd, dst, offset, length, 0);
        if (n == Libc.AGAIN) {
            if (Libc.pollOne(readPollfd, fd, Libc.POLLIN, timeoutMillis) == 0) {
                return 0;
            }
            n = Sockets.recv(fd, dst, offset, length, 0);
            if (n == Libc.AGAIN) {
                return 0;
            }
        }
        return n == 0 && length > 0 ? EOF : n;
    }

    /** {@code SO_RCVLOWAT}: poll reports the socket readable once that many bytes are queued. */
    @Override
    public void wakeReaderAt(int bytes) throws IOException {
        Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, bytes);
    }

    @Override
    public void sendAtOnce() throws IOException {
        Sockets.setsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY, 1);
    }

    /** Whether TCP_NODELAY is on, as the kernel reports it. */
    boolean sendsAtOnce() throws SyscallException {
        return Sockets.getsockoptInt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_NODELAY) != 0;
    }

    @Override
    public void shutdownOutput() throws IOException {
        Sockets.shutdown(fd, Sockets.SHUT_WR);
    }

    /** Not safe for two concurrent callers (one buffer); the reporter that samples a stream is one thread. */
    @Override
    public boolean tcpStats(TcpStats into) {
        if (closed.get()) {
            return false;
        }
        tcpInfoLength.set(ValueLayout.JAVA_INT, 0, (int) tcpInfo.byteSize());
        int length;
        try {
            length = Sockets.getsockopt(fd, Sockets.IPPROTO_TCP, Sockets.TCP_INFO, tcpInfo, tcpInfoLength);
        } catch (SyscallException e) {
            return false;
        }
        if (length < TCP_INFO_NEEDED) {
            return false;
        }
        long mss = TcpInfo.u32(TcpInfo.SND_MSS, tcpInfo);
        into.retransmits = TcpInfo.u32(TcpInfo.TOTAL_RETRANS, tcpInfo);
        into.congestionWindowBytes = TcpInfo.u32(TcpInfo.SND_CWND, tcpInfo) * mss;
        into.rttMicros = TcpInfo.u32(TcpInfo.RTT, tcpInfo);
        into.rttVarianceMicros = TcpInfo.u32(TcpInfo.RTTVAR, tcpInfo);
        into.sendMss = (int) mss;
        into.pathMtu = (int) TcpInfo.u32(TcpInfo.PMTU, tcpInfo);
        into.sendWindowBytes = length >= TCP_INFO_WITH_SND_WND ? TcpInfo.u32(TcpInfo.SND_WND, tcpInfo) : 0;
        into.congestion = congestion;
        return true;
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
        if (closed.compareAndSet(false, true)) {
            KernelTransport.shutdownAndClose(fd);
        }
    }
}
