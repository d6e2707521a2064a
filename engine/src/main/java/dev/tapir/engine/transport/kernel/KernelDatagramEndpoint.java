package dev.tapir.engine.transport.kernel;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.Libc;
import dev.tapir.nativeio.MsgHdr;
import dev.tapir.nativeio.SockAddr;
import dev.tapir.nativeio.Sockets;
import dev.tapir.nativeio.SyscallException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A kernel UDP socket (non-blocking) moving datagrams in batches.
 *
 * <p>Sending: with segmentation offload, each message of one sendmmsg carries up to {@link #GSO_MAX_SEGMENTS}
 * datagrams as a single buffer plus a {@code UDP_SEGMENT} control message, and the kernel cuts it into datagrams
 * (UDP GSO); without, or once the kernel rejects GSO, sendmmsg carries one message per datagram.
 *
 * <p>Receiving: with offload and a batch that can hold a whole coalesced receive (64 KiB of buffer, 64 datagrams),
 * {@code UDP_GRO} is on and each message of one recvmmsg may return many datagrams glued together, split again by the
 * {@code UDP_GRO} control message's segment size; otherwise recvmmsg fills one slot per datagram.
 *
 * <p>One sending and one receiving thread may work at once: each side has its own scratch, allocated here once.
 */
public final class KernelDatagramEndpoint implements DatagramEndpoint {
    /**
     * Segments per GSO send: UDP_MAX_SEGMENTS of include/linux/udp.h, 64 since Linux 4.18 (raised to 128 in 6.9;
     * the older limit works everywhere and is also what GRO coalesces at most).
     */
    static final int GSO_MAX_SEGMENTS = 64;
    /** Payload of one GSO send: it is one UDP datagram to the IP layer, so 65535 - 20 (IPv4) - 8 (UDP). */
    static final int GSO_MAX_BYTES = 65_507;
    /** Messages per sendmmsg/recvmmsg call. */
    static final int MAX_MESSAGES = 64;
    /** Room for one coalesced GRO receive: the largest IP packet. */
    static final int GRO_RECEIVE_BYTES = 65_536;

    private static final long MMSG = MsgHdr.MMSGHDR.byteSize();
    private static final long IOV = MsgHdr.IOVEC.byteSize();
    private static final long NAME = DatagramBatch.NAME_BYTES;
    private static final long SEGMENT_CMSG = MsgHdr.cmsgSpace(Short.BYTES);
    /** Control room per received message: a UDP_GRO int and an SCM_TIMESTAMPNS timespec, each with its header. */
    private static final long RECEIVE_CONTROL = 64;

    private final int fd;
    private final boolean segmentationOffload;
    private final boolean groSupported;
    /** Re-read after connect, which picks the wildcard-bound socket's source address (iperf3 prints that one). */
    private volatile InetSocketAddress localAddress;
    private final AtomicBoolean closed = new AtomicBoolean();

    // sender side
    private final MemorySegment sendMsgs;
    private final MemorySegment sendIovs;
    private final MemorySegment sendControl;
    private final MemorySegment sendToName;
    private final MemorySegment sendPollfd;
    private boolean gsoUsable;
    private long refusedSends;

    // receiver side
    private final MemorySegment receiveMsgs;
    private final MemorySegment receiveIovs;
    private final MemorySegment receiveControl;
    private final MemorySegment receivePollfd;
    private boolean groActive;
    private boolean stampingArrivals;
    /** The sender of the last datagram received, for {@link #lastSource()}: copied, as the batch is reused. */
    private final MemorySegment lastName;
    private boolean lastNameSet;
    private long refusedReceives;

    KernelDatagramEndpoint(int fd, boolean segmentationOffload) throws SyscallException {
        this.fd = fd;
        this.segmentationOffload = segmentationOffload;
        this.localAddress = Sockets.localAddress(fd);
        // automatic arena: a receiver may still sit in poll on another thread when close() runs
        Arena arena = Arena.ofAuto();
        sendMsgs = arena.allocate(MsgHdr.MMSGHDR, MAX_MESSAGES);
        sendIovs = arena.allocate(MsgHdr.IOVEC, MAX_MESSAGES);
        sendControl = arena.allocate(SEGMENT_CMSG * MAX_MESSAGES, 8);
        sendToName = arena.allocate(SockAddr.SOCKADDR_STORAGE);
        sendPollfd = arena.allocate(Libc.POLLFD);
        receiveMsgs = arena.allocate(MsgHdr.MMSGHDR, MAX_MESSAGES);
        receiveIovs = arena.allocate(MsgHdr.IOVEC, MAX_MESSAGES);
        receiveControl = arena.allocate(RECEIVE_CONTROL * MAX_MESSAGES, 8);
        receivePollfd = arena.allocate(Libc.POLLFD);
        lastName = arena.allocate(NAME, 8);
        for (int m = 0; m < MAX_MESSAGES; m++) {
            MsgHdr.cmsgHeader(sendControl, m * SEGMENT_CMSG, Sockets.SOL_UDP, Sockets.UDP_SEGMENT, Short.BYTES);
        }
        gsoUsable = segmentationOffload && kernelHas(fd, Sockets.UDP_SEGMENT);
        groSupported = segmentationOffload && kernelHas(fd, Sockets.UDP_GRO);
    }

    /** Whether the kernel knows a SOL_UDP option (ENOPROTOOPT before Linux 4.18 for GSO, 5.0 for GRO). */
    private static boolean kernelHas(int fd, int option) {
        try {
            Sockets.getsockoptInt(fd, Sockets.SOL_UDP, option);
            return true;
        } catch (SyscallException e) {
            return false;
        }
    }

    @Override
    public void connect(InetSocketAddress remote) throws IOException {
        Sockets.connect(fd, remote, 0);
        localAddress = Sockets.localAddress(fd);
    }

    @Override
    public int send(MemorySegment src, long offset, int datagramLength, int count) throws IOException {
        Objects.checkFromIndexSize(offset, (long) datagramLength * count, src.byteSize());
        if (count <= 0) {
            return 0;
        }
        int perMessage = Math.min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES / Math.max(1, datagramLength));
        if (gsoUsable && perMessage > 1 && count > 1) {
            return sendSegmented(src, offset, datagramLength, count, perMessage);
        }
        return sendEach(src, offset, datagramLength, count);
    }

    /** GSO: messages of up to {@code perMessage} datagrams each, all in one sendmmsg where possible. */
    private int sendSegmented(MemorySegment src, long offset, int datagramLength, int count, int perMessage)
            throws IOException {
        int sent = 0;
        while (sent < count) {
            int messages = 0;
            int prepared = 0;
            while (messages < MAX_MESSAGES && sent + prepared < count) {
                int segments = Math.min(perMessage, count - sent - prepared);
                long bytes = (long) segments * datagramLength;
                long iovAt = messages * IOV;
                long controlAt = messages * SEGMENT_CMSG;
                MsgHdr.iovec(sendIovs, iovAt, src, offset + (long) (sent + prepared) * datagramLength, bytes);
                sendControl.set(JAVA_SHORT, controlAt + MsgHdr.CMSG_DATA, (short) datagramLength);
                MsgHdr.msghdr(sendMsgs, messages * MMSG, MemorySegment.NULL, 0, 0, sendIovs, iovAt, 1, sendControl,
                        controlAt, SEGMENT_CMSG);
                prepared += segments;
                messages++;
            }
            int done;
            try {
                done = Sockets.sendmmsg(fd, sendMsgs, messages, 0);
            } catch (SyscallException e) {
                int err = e.errno();
                if (err == Errno.EINVAL || err == Errno.EIO || err == Errno.EMSGSIZE) {
                    // this kernel, route or datagram length does not allow GSO: one datagram per message from now on
                    gsoUsable = false;
                    return sent + sendEach(src, offset + (long) sent * datagramLength, datagramLength, count - sent);
                }
                return sent + absorb(e);
            }
            if (done == Libc.AGAIN) {
                return sent;
            }
            for (int m = 0; m < done; m++) {
                sent += Math.min(perMessage, count - sent);
            }
            if (done < messages) {
                return sent;
            }
        }
        return sent;
    }

    /** One message per datagram, up to {@link #MAX_MESSAGES} per sendmmsg. */
    private int sendEach(MemorySegment src, long offset, int datagramLength, int count) throws IOException {
        int sent = 0;
        while (sent < count) {
            int messages = Math.min(MAX_MESSAGES, count - sent);
            for (int m = 0; m < messages; m++) {
                long iovAt = m * IOV;
                MsgHdr.iovec(sendIovs, iovAt, src, offset + (long) (sent + m) * datagramLength, datagramLength);
                MsgHdr.msghdr(sendMsgs, m * MMSG, MemorySegment.NULL, 0, 0, sendIovs, iovAt, 1, MemorySegment.NULL, 0,
                        0);
            }
            int done;
            try {
                done = Sockets.sendmmsg(fd, sendMsgs, messages, 0);
            } catch (SyscallException e) {
                return sent + absorb(e);
            }
            if (done == Libc.AGAIN) {
                return sent;
            }
            sent += done;
            if (done < messages) {
                return sent;
            }
        }
        return sent;
    }

    /**
     * Errors a sender lives with: no buffer space (the datagrams were not sent: report fewer), and a pending ICMP
     * port unreachable on a connected socket (the peer is not listening yet or any more: counted, nothing sent).
     * Anything else is a real failure. Returns the datagrams sent by the failed call, always 0.
     */
    private int absorb(SyscallException e) throws SyscallException {
        if (e.errno() == Errno.ECONNREFUSED) {
            refusedSends++;
            return 0;
        }
        if (e.errno() == Errno.ENOBUFS) {
            return 0;
        }
        throw e;
    }

    @Override
    public void sendTo(MemorySegment src, long offset, int length, InetSocketAddress to) throws IOException {
        int nameLength = SockAddr.write(sendToName, to);
        int n = Sockets.sendto(fd, src, offset, length, 0, sendToName, nameLength);
        if (n == Libc.AGAIN) {
            if (Libc.pollOne(sendPollfd, fd, Libc.POLLOUT, 1000) == 0) {
                throw new SyscallException("sendto", Errno.EAGAIN);
            }
            n = Sockets.sendto(fd, src, offset, length, 0, sendToName, nameLength);
            if (n == Libc.AGAIN) {
                throw new SyscallException("sendto", Errno.EAGAIN);
            }
        }
    }

    @Override
    public int receive(DatagramBatch batch, int timeoutMillis) throws IOException {
        batch.clear();
        boolean wantGro = groSupported && batch.buffer().byteSize() >= GRO_RECEIVE_BYTES
                && batch.capacity() >= GSO_MAX_SEGMENTS;
        if (wantGro != groActive) {
            Sockets.setsockopt(fd, Sockets.SOL_UDP, Sockets.UDP_GRO, wantGro ? 1 : 0);
            groActive = wantGro;
        }
        int received = groActive ? receiveCoalesced(batch) : receiveEach(batch);
        if (received == 0) {
            if (Libc.pollOne(receivePollfd, fd, Libc.POLLIN, timeoutMillis) == 0) {
                return 0;
            }
            received = groActive ? receiveCoalesced(batch) : receiveEach(batch);
        }
        if (received > 0) {
            MemorySegment.copy(batch.names(), batch.nameSlot(received - 1) * NAME, lastName, 0, NAME);
            lastNameSet = true;
        }
        return received;
    }

    /**
     * recvmmsg with UDP_GRO: each message may bring up to {@value #GSO_MAX_SEGMENTS} datagrams glued together, split
     * again by the segment size in its control message; one call fills as many 64 KiB messages as the batch has room
     * for. Kept small (preparing and splitting are methods of their own) so that the JIT inlines the whole downcall
     * here and the errno capture allocates nothing.
     */
    private int receiveCoalesced(DatagramBatch batch) throws IOException {
        int messages = prepareCoalesced(batch);
        int done;
        try {
            done = Sockets.recvmmsg(fd, receiveMsgs, messages, 0);
        } catch (SyscallException e) {
            absorbReceive(e);
            return 0;
        }
        if (done == Libc.AGAIN) {
            return 0;
        }
        splitCoalesced(batch, done);
        return batch.count();
    }

    /**
     * Points one message per 64 KiB of the batch's buffer (as many as its capacity allows; message m's sender goes to
     * name slot m); returns how many.
     */
    private int prepareCoalesced(DatagramBatch batch) {
        MemorySegment buffer = batch.buffer();
        MemorySegment names = batch.names();
        int messages = (int) Math.min(MAX_MESSAGES, Math.min(buffer.byteSize() / GRO_RECEIVE_BYTES,
                (batch.capacity() - batch.count()) / GSO_MAX_SEGMENTS));
        for (int m = 0; m < messages; m++) {
            MsgHdr.iovec(receiveIovs, m * IOV, buffer, (long) m * GRO_RECEIVE_BYTES, GRO_RECEIVE_BYTES);
            MsgHdr.msghdr(receiveMsgs, m * MMSG, names, m * NAME, (int) NAME, receiveIovs, m * IOV, 1,
                    receiveControl, m * RECEIVE_CONTROL, RECEIVE_CONTROL);
        }
        return messages;
    }

    /** Adds the datagrams of the {@code done} messages received, each cut at its UDP_GRO segment size. */
    private void splitCoalesced(DatagramBatch batch, int done) {
        for (int m = 0; m < done; m++) {
            long position = (long) m * GRO_RECEIVE_BYTES;
            int n = MsgHdr.messageLength(receiveMsgs, m * MMSG);
            long gsoAt = MsgHdr.findCmsg(receiveControl, m * RECEIVE_CONTROL, MsgHdr.controlLength(receiveMsgs,
                    m * MMSG), Sockets.SOL_UDP, Sockets.UDP_GRO);
            int segmentSize = gsoAt < 0 ? n : receiveControl.get(JAVA_INT, gsoAt);
            int first = batch.count();
            if (n == 0 || segmentSize <= 0) {
                batch.add(position, n, m);
            } else {
                for (int at = 0; at < n; at += segmentSize) {
                    batch.add(position + at, Math.min(segmentSize, n - at), m);
                }
            }
            if (stampingArrivals) {
                // one receive time for the datagrams GRO glued together
                long arrival = arrivalOf(m);
                for (int d = first; d < batch.count(); d++) {
                    batch.arrival(d, arrival);
                }
            }
        }
    }

    /** recvmmsg into slots of the batch's slot size, one datagram each; datagram i's sender in name slot i. */
    private int receiveEach(DatagramBatch batch) throws IOException {
        MemorySegment buffer = batch.buffer();
        MemorySegment names = batch.names();
        // control messages only for receive times: without room for them the kernel builds none
        MemorySegment control = stampingArrivals ? receiveControl : MemorySegment.NULL;
        long controlRoom = stampingArrivals ? RECEIVE_CONTROL : 0;
        long slot = batch.slotBytes();
        int slots = (int) Math.min(batch.capacity(), buffer.byteSize() / slot);
        while (batch.count() < slots) {
            int first = batch.count();
            int messages = Math.min(MAX_MESSAGES, slots - first);
            for (int m = 0; m < messages; m++) {
                long iovAt = m * IOV;
                MsgHdr.iovec(receiveIovs, iovAt, buffer, (first + m) * slot, slot);
                MsgHdr.msghdr(receiveMsgs, m * MMSG, names, (first + m) * NAME, (int) NAME, receiveIovs, iovAt, 1,
                        control, m * controlRoom, controlRoom);
            }
            int done;
            try {
                done = Sockets.recvmmsg(fd, receiveMsgs, messages, 0);
            } catch (SyscallException e) {
                absorbReceive(e);
                break;
            }
            if (done == Libc.AGAIN || done == 0) {
                break;
            }
            for (int m = 0; m < done; m++) {
                batch.add((first + m) * slot, MsgHdr.messageLength(receiveMsgs, m * MMSG), first + m);
                if (stampingArrivals) {
                    batch.arrival(first + m, arrivalOf(m));
                }
            }
            if (done < messages) {
                break;
            }
        }
        return batch.count();
    }

    /** A connected socket reports an ICMP port unreachable on its next receive too: counted, not fatal. */
    private void absorbReceive(SyscallException e) throws SyscallException {
        if (e.errno() != Errno.ECONNREFUSED) {
            throw e;
        }
        refusedReceives++;
    }

    @Override
    public void stampArrivals() throws IOException {
        Sockets.setsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_TIMESTAMPNS, 1);
        stampingArrivals = true;
    }

    /** The kernel's receive time of message {@code m} of the last recvmmsg, ns since the epoch; 0 if it gave none. */
    private long arrivalOf(int m) {
        long at = MsgHdr.findCmsg(receiveControl, m * RECEIVE_CONTROL, MsgHdr.controlLength(receiveMsgs, m * MMSG),
                Sockets.SOL_SOCKET, Sockets.SCM_TIMESTAMPNS);
        return at < 0 ? 0 : receiveControl.get(JAVA_LONG, at) * 1_000_000_000L + receiveControl.get(JAVA_LONG, at + 8);
    }

    @Override
    public InetSocketAddress lastSource() {
        return lastNameSet ? SockAddr.read(lastName) : null;
    }

    @Override
    public int preferredBatch() {
        return gsoUsable ? GSO_MAX_SEGMENTS : MAX_MESSAGES / 2;
    }

    /** The socket's receive buffer as the kernel reports it (twice what was asked, within the limits). */
    int receiveBufferBytes() throws SyscallException {
        return Sockets.getsockoptInt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVBUF);
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** Whether sends still use UDP GSO (false when off, unsupported, or rejected once by the kernel). */
    public boolean segmentationOffloadActive() {
        return gsoUsable;
    }

    /** Sends that found an ICMP port unreachable pending (read by the sending thread or after it stopped). */
    public long refusedSends() {
        return refusedSends;
    }

    /** Receives that found an ICMP port unreachable pending (read by the receiving thread or after it stopped). */
    public long refusedReceives() {
        return refusedReceives;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            KernelTransport.shutdownAndClose(fd);
        }
    }
}
