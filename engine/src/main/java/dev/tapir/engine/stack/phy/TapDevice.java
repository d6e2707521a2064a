package dev.tapir.engine.stack.phy;

import dev.tapir.nativeio.Errno;
import dev.tapir.nativeio.IoUring;
import dev.tapir.nativeio.Libc;
import dev.tapir.nativeio.Netlink;
import dev.tapir.nativeio.SyscallException;
import dev.tapir.nativeio.Tun;
import dev.tapir.nativeio.VirtioNetHeader;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLongArray;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A tap as a {@link Device}: frames are read into off-heap receive slots and written from off-heap transmit slots.
 * A tap moves one frame per read or write (it has no multi-frame call), so by default the reads and writes go
 * through an {@link IoUring}: each {@link #receive} queues a batch of non-blocking reads and each
 * {@link #sendCommitted} the frames committed since, and one {@code io_uring_enter} performs them all. Where a
 * kernel refuses io_uring, or with {@link Options#withIoUring} false, each frame takes its own {@code read} or
 * {@code write} at once.
 *
 * <p>With {@link Options#virtioNetHeader()} every frame travels behind a 10-byte {@code virtio_net_hdr}. Received
 * frames then expose it ({@link #receivedGsoType()}...: checksum-partial frames and, when TSO offloads are on,
 * super-frames up to 64 KiB), and its NEEDS_CSUM / DATA_VALID flags reach the handler as
 * {@link FrameHandler#CHECKSUM_PARTIAL} / {@link FrameHandler#CHECKSUM_VALID}. Sent frames may carry one set with
 * {@link #offloadTransmit}: a partial checksum the kernel or the peer finishes, or a TCPv4 super-frame with
 * gso_size = MSS that the kernel segments (or hands whole to a peer tap that accepts TSO).
 *
 * <p>Offloads are set on every attach, to 0 when none are wanted: a persistent tap keeps the last attach's settings.
 * Failures on the data path are counted (drops) and the last errno kept, never thrown. Figures leave through
 * counters written by the stack's thread and readable from any thread.
 */
public final class TapDevice implements Device {
    /** Largest Ethernet frame an IPv4 super-frame can make: 14 + 65535. */
    public static final int MAX_SUPER_FRAME = 14 + 65535;
    /** Room for an 802.1Q tag on top of MTU + Ethernet header. */
    private static final int PLAIN_FRAME_SLACK = 14 + 4;
    private static final int SLOT_ALIGNMENT = 64;
    /** Default transmit slots: how many frames one {@link #sendCommitted} can write with one system call. */
    public static final int TRANSMIT_SLOTS = 32;
    /** Receive slots with io_uring: the most frames one {@link #receive} reads with one system call. */
    static final int RECEIVE_SLOTS = 32;
    /** Fewest reads queued per receive: an idle tap costs this many empty reads (cheap, inside one call). */
    private static final int MIN_READ_AHEAD = 4;
    private static final int RING_ENTRIES = 128;
    /** Marks a write's completion (user data = slot | WRITE); a read's user data is its slot. */
    private static final long WRITE = 1L << 32;

    private static final int RX_FRAMES = 0;
    private static final int RX_BYTES = 1;
    private static final int RX_AGAIN = 2;
    private static final int RX_DROPS = 3;
    private static final int TX_FRAMES = 4;
    private static final int TX_BYTES = 5;
    private static final int TX_AGAIN = 6;
    private static final int TX_DROPS = 7;
    private static final int RX_SUPER_FRAMES = 8;
    private static final int TX_SUPER_FRAMES = 9;
    private static final int RX_CHECKSUM_TRUSTED = 10;
    private static final int SUBMIT_FAILURES = 11;

    /**
     * How to attach. {@code offloads} are TUN_F_* flags ({@link Tun#TUN_F_CSUM}, {@link Tun#TUN_F_TSO4}...) that this
     * side accepts on receive; they need the virtio-net header. The same flags decide what this side sends: partial
     * checksums with TUN_F_CSUM, TCPv4 super-frames with TUN_F_TSO4 ({@link #offloads()}). {@code transmitSlots}
     * (1..64) is how many frames may be claimed, or committed and not yet written, at once. {@code ioUring} batches
     * reads and writes through io_uring where the kernel allows it.
     */
    public record Options(boolean virtioNetHeader, int offloads, int transmitSlots, boolean ioUring) {
        public Options {
            if (offloads != 0 && !virtioNetHeader) {
                throw new IllegalArgumentException("tap offloads need the virtio-net header");
            }
            if ((offloads & (Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6)) != 0 && (offloads & Tun.TUN_F_CSUM) == 0) {
                throw new IllegalArgumentException("tap TSO needs TUN_F_CSUM");
            }
            if (transmitSlots < 1 || transmitSlots > 64) {
                throw new IllegalArgumentException("transmit slots must be 1..64: " + transmitSlots);
            }
        }

        /** Plain Ethernet frames, no offloads, {@link #TRANSMIT_SLOTS} transmit slots, io_uring batches. */
        public static Options plain() {
            return new Options(false, 0, TRANSMIT_SLOTS, true);
        }

        /** Frames behind a virtio-net header, accepting {@code offloads} on receive; otherwise as {@link #plain}. */
        public static Options virtioNet(int offloads) {
            return new Options(true, offloads, TRANSMIT_SLOTS, true);
        }

        /** Partial checksums and TCPv4 segmentation both ways: 64 KiB super-frames instead of MTU-sized frames. */
        public static Options tcpOffloads() {
            return virtioNet(Tun.TUN_F_CSUM | Tun.TUN_F_TSO4);
        }

        /** The same options with io_uring batching on, or off (one system call per frame). */
        public Options withIoUring(boolean on) {
            return new Options(virtioNetHeader, offloads, transmitSlots, on);
        }
    }

    private final Tun tun;
    private final int mtu;
    private final int headerSize;
    private final int maxFrame;
    private final DeviceOffloads offloads;
    private final Arena arena;
    private final int slotSize;
    private final MemorySegment receiveSegment;
    private final UnsafeBuffer receiveBuffer;
    private final MemorySegment transmitSegment;
    private final UnsafeBuffer transmitBuffer;
    private final int slots;
    private final int[] claimedLength;
    /** Transmit slots neither claimed nor being written. */
    private long freeSlots;
    /** Transmit slots claimed and not yet committed or aborted. */
    private long claimedSlots;
    /** Null when each frame takes its own read or write. */
    private final IoUring ring;
    private final IoUring.CompletionHandler onCompletion = this::onCompletion;
    private final int receiveSlots;
    private final int[] readResult;
    private long readsInFlight;
    private long readsDone;
    private int readAhead = MIN_READ_AHEAD;
    /** Start of the receive slot whose frame is being handed over (its vnet header, if any). */
    private int handing;
    private final AtomicLongArray counters = new AtomicLongArray(12);
    private volatile int lastErrno;

    private TapDevice(Tun tun, int mtu, Options options, IoUring ring) {
        this.tun = tun;
        this.mtu = mtu;
        this.ring = ring;
        this.headerSize = options.virtioNetHeader() ? VirtioNetHeader.SIZE : 0;
        this.maxFrame = options.virtioNetHeader() ? MAX_SUPER_FRAME : mtu + PLAIN_FRAME_SLACK;
        this.slotSize = align(headerSize + maxFrame);
        boolean checksumPartial = (options.offloads() & Tun.TUN_F_CSUM) != 0;
        boolean segmentation = (options.offloads() & Tun.TUN_F_TSO4) != 0;
        this.offloads = new DeviceOffloads(checksumPartial, segmentation ? MAX_SUPER_FRAME : 0,
                segmentation ? MAX_SUPER_FRAME : mtu + PLAIN_FRAME_SLACK);
        this.slots = options.transmitSlots();
        this.receiveSlots = ring == null ? 1 : RECEIVE_SLOTS;
        this.readResult = new int[receiveSlots];
        this.arena = Arena.ofShared();
        this.receiveSegment = arena.allocate((long) slotSize * receiveSlots, SLOT_ALIGNMENT);
        this.receiveBuffer = new UnsafeBuffer(receiveSegment.address(), slotSize * receiveSlots);
        this.transmitSegment = arena.allocate((long) slotSize * slots, SLOT_ALIGNMENT);
        this.transmitBuffer = new UnsafeBuffer(transmitSegment.address(), slotSize * slots);
        this.claimedLength = new int[slots];
        this.freeSlots = slots == 64 ? -1L : (1L << slots) - 1;
    }

    /**
     * Attaches to (or creates) the tap {@code name} in the calling thread's network namespace: opens it non-blocking,
     * sets the vnet header size and the offloads, reads the link's MTU over rtnetlink, and sets up io_uring if asked
     * and allowed. The device may then be driven from any one thread at a time.
     */
    public static TapDevice open(String name, Options options) throws SyscallException {
        int flags = Tun.IFF_TAP | Tun.IFF_NO_PI | (options.virtioNetHeader() ? Tun.IFF_VNET_HDR : 0);
        Tun tun = Tun.open(name, flags, true);
        IoUring ring = null;
        try (Netlink netlink = Netlink.open()) {
            if (options.virtioNetHeader()) {
                tun.setVnetHeaderSize(VirtioNetHeader.SIZE);
            }
            tun.setOffload(options.offloads());
            int mtu = netlink.link(tun.name()).mtu();
            ring = options.ioUring() ? IoUring.openIfAllowed(RING_ENTRIES) : null;
            return new TapDevice(tun, mtu, options, ring);
        } catch (SyscallException | RuntimeException e) {
            if (ring != null) {
                ring.close();
            }
            tun.close();
            throw e;
        }
    }

    private static int align(int n) {
        return (n + SLOT_ALIGNMENT - 1) & -SLOT_ALIGNMENT;
    }

    /** The tap's interface name. */
    public String name() {
        return tun.name();
    }

    /** True when reads and writes are batched through io_uring, false when each frame takes its own call. */
    public boolean usesIoUring() {
        return ring != null;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /** Largest frame {@link #claim} accepts: MTU + 18 plain, a 64 KiB super-frame with the vnet header. */
    public int maxFrameLength() {
        return maxFrame;
    }

    @Override
    public DeviceOffloads offloads() {
        return offloads;
    }

    @Override
    public int receive(long nowNanos, FrameHandler handler, int limit) {
        return ring == null ? receiveEach(handler, limit) : receiveBatch(handler, limit);
    }

    private int receiveEach(FrameHandler handler, int limit) {
        int handed = 0;
        while (handed < limit) {
            int n;
            try {
                n = tun.read(receiveSegment, 0, slotSize);
            } catch (SyscallException e) {
                lastErrno = e.errno();
                increment(RX_DROPS, 1);
                break;
            }
            if (n == Libc.AGAIN) {
                increment(RX_AGAIN, 1);
                break;
            }
            if (hand(0, n, handler)) {
                handed++;
            }
        }
        return handed;
    }

    /**
     * Queues up to {@code readAhead} reads with RWF_NOWAIT behind any writes committed and not yet sent, makes
     * one io_uring_enter, and hands the frames read in slot order. A read that finds the queue empty completes at
     * once with EAGAIN, so every read is done when the call returns. The batch doubles while every read finds a
     * frame and shrinks to what the last one found otherwise.
     */
    private int receiveBatch(FrameHandler handler, int limit) {
        int wanted = Math.min(limit, readAhead);
        int queued = 0;
        for (int slot = 0; slot < receiveSlots && queued < wanted; slot++) {
            long bit = 1L << slot;
            if ((readsInFlight & bit) == 0 && ring.prepareRead(tun.fd(), receiveSegment.address() + (long) slot
                    * slotSize, slotSize, IoUring.CURRENT_POSITION, IoUring.RWF_NOWAIT, slot)) {
                readsInFlight |= bit;
                queued++;
            }
        }
        submitAndDrain();
        int frames = 0;
        int handed = 0;
        for (int slot = 0; slot < receiveSlots && readsDone != 0; slot++) {
            long bit = 1L << slot;
            if ((readsDone & bit) == 0) {
                continue;
            }
            readsDone &= ~bit;
            int result = readResult[slot];
            if (result == -Errno.EAGAIN) {
                increment(RX_AGAIN, 1);
            } else if (result < 0) {
                lastErrno = -result;
                increment(RX_DROPS, 1);
            } else {
                frames++;
                if (hand(slot * slotSize, result, handler)) {
                    handed++;
                }
            }
        }
        readAhead = frames >= queued ? Math.min(receiveSlots, 2 * Math.max(queued, 1))
                : Math.max(MIN_READ_AHEAD, frames + 1);
        return handed;
    }

    /** Hands over the {@code n} bytes read into the receive slot at {@code base}; false for a runt (dropped). */
    private boolean hand(int base, int n, FrameHandler handler) {
        int frameLength = n - headerSize;
        if (frameLength < 14 || n > slotSize) {
            increment(RX_DROPS, 1);
            return false;
        }
        increment(RX_FRAMES, 1);
        increment(RX_BYTES, frameLength);
        int flags = 0;
        if (headerSize != 0) {
            int header = VirtioNetHeader.flags(receiveSegment, base);
            flags = ((header & VirtioNetHeader.F_NEEDS_CSUM) != 0 ? FrameHandler.CHECKSUM_PARTIAL : 0)
                    | ((header & VirtioNetHeader.F_DATA_VALID) != 0 ? FrameHandler.CHECKSUM_VALID : 0);
            if (VirtioNetHeader.gsoType(receiveSegment, base) != VirtioNetHeader.GSO_NONE) {
                increment(RX_SUPER_FRAMES, 1);
            }
            if (flags != 0) {
                increment(RX_CHECKSUM_TRUSTED, 1);
            }
        }
        handing = base;
        handler.onFrame(receiveBuffer, base + headerSize, frameLength, flags);
        return true;
    }

    /** gso_type of the frame being handed over ({@link VirtioNetHeader#GSO_NONE} for an ordinary frame). */
    public int receivedGsoType() {
        return headerSize == 0 ? VirtioNetHeader.GSO_NONE : VirtioNetHeader.gsoType(receiveSegment, handing);
    }

    /** The MSS of a received super-frame. */
    public int receivedGsoSize() {
        return headerSize == 0 ? 0 : VirtioNetHeader.gsoSize(receiveSegment, handing);
    }

    /** Ethernet + IP + L4 header length of a received super-frame. */
    public int receivedHeaderLength() {
        return headerSize == 0 ? 0 : VirtioNetHeader.headerLength(receiveSegment, handing);
    }

    /** Where, from the start of the frame, the partial checksum's coverage begins. */
    public int receivedChecksumStart() {
        return headerSize == 0 ? 0 : VirtioNetHeader.checksumStart(receiveSegment, handing);
    }

    /** Where, from {@link #receivedChecksumStart()}, the checksum field lies. */
    public int receivedChecksumOffset() {
        return headerSize == 0 ? 0 : VirtioNetHeader.checksumOffset(receiveSegment, handing);
    }

    /** Claims a free transmit slot; with io_uring, when all are committed and unsent, sends them first. */
    @Override
    public int claim(int length) {
        if (length < 14 || length > maxFrame) {
            throw new IllegalArgumentException("frame length " + length + " outside 14.." + maxFrame);
        }
        if (freeSlots == 0 && ring != null) {
            submitAndDrain();
        }
        if (freeSlots == 0) {
            return -1;
        }
        int slot = Long.numberOfTrailingZeros(freeSlots);
        freeSlots &= ~(1L << slot);
        claimedSlots |= 1L << slot;
        claimedLength[slot] = length;
        long base = (long) slot * slotSize;
        if (headerSize != 0) {
            VirtioNetHeader.set(transmitSegment, base, 0, VirtioNetHeader.GSO_NONE, 0, 0, 0, 0);
        }
        return (int) base + headerSize;
    }

    @Override
    public MutableDirectBuffer transmitBuffer() {
        return transmitBuffer;
    }

    /**
     * Fills the virtio_net_hdr of a claimed frame: {@link VirtioNetHeader#F_NEEDS_CSUM} with the checksum's start and
     * offset, plus {@link VirtioNetHeader#GSO_TCPV4}, the header length and gso_size for a super-frame.
     */
    @Override
    public void offloadTransmit(int offset, int checksumStart, int checksumOffset, int headerLength,
            int segmentSize) {
        if (!offloads.transmitChecksumPartial() || segmentSize > 0 && !offloads.tcpSegmentation()) {
            throw new IllegalStateException(tun.name() + " was attached without these offloads");
        }
        VirtioNetHeader.set(transmitSegment, offset - headerSize, VirtioNetHeader.F_NEEDS_CSUM,
                segmentSize > 0 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_NONE,
                segmentSize > 0 ? headerLength : 0, segmentSize, checksumStart, checksumOffset);
    }

    /**
     * Writes the frame at once, or with io_uring queues its write for the next {@link #sendCommitted} (or receive);
     * its slot stays taken until the write has completed.
     */
    @Override
    public void commit(long nowNanos, int offset) {
        int slot = slotOf(offset);
        claimedSlots &= ~(1L << slot);
        int length = headerSize + claimedLength[slot];
        long address = transmitSegment.address() + offset - headerSize;
        if (ring != null) {
            // The ring has room for every slot and read at once; it fills up only while io_uring_enter fails.
            if (!queueWrite(slot, address, length)) {
                submitAndDrain();
                if (!queueWrite(slot, address, length)) {
                    freeSlots |= 1L << slot;
                    increment(TX_DROPS, 1);
                }
            }
            return;
        }
        int result;
        try {
            int n = tun.write(transmitSegment, offset - headerSize, length);
            result = n == Libc.AGAIN ? -Errno.EAGAIN : n;
        } catch (SyscallException e) {
            result = -e.errno();
        }
        written(slot, result);
    }

    private boolean queueWrite(int slot, long address, int length) {
        return ring.prepareWrite(tun.fd(), address, length, IoUring.CURRENT_POSITION, IoUring.RWF_NOWAIT,
                WRITE | slot);
    }

    /** Writes what was committed and not yet sent with one io_uring_enter; nothing to do without io_uring. */
    @Override
    public void sendCommitted(long nowNanos) {
        if (ring != null && ring.queued() > 0) {
            submitAndDrain();
        }
    }

    /**
     * One io_uring_enter for everything queued, then every completion. After a failed enter (counted, errno kept)
     * the reads and writes stay queued for the next attempt.
     */
    private void submitAndDrain() {
        try {
            ring.submit();
        } catch (SyscallException e) {
            lastErrno = e.errno();
            increment(SUBMIT_FAILURES, 1);
        }
        ring.drainCompletions(onCompletion);
    }

    private void onCompletion(long userData, int result) {
        int slot = (int) userData;
        if ((userData & WRITE) != 0) {
            written(slot, result);
        } else {
            readsInFlight &= ~(1L << slot);
            readsDone |= 1L << slot;
            readResult[slot] = result;
        }
    }

    /** Frees a transmit slot after its write: counted as sent, or as a drop with {@code -errno} in {@code result}. */
    private void written(int slot, int result) {
        long base = (long) slot * slotSize;
        boolean superFrame = headerSize != 0
                && VirtioNetHeader.gsoType(transmitSegment, base) != VirtioNetHeader.GSO_NONE;
        freeSlots |= 1L << slot;
        if (result >= 0) {
            increment(TX_FRAMES, 1);
            increment(TX_BYTES, claimedLength[slot]);
            if (superFrame) {
                increment(TX_SUPER_FRAMES, 1);
            }
            return;
        }
        if (result == -Errno.EAGAIN) {
            increment(TX_AGAIN, 1);
        } else {
            lastErrno = -result;
        }
        increment(TX_DROPS, 1);
    }

    @Override
    public void abort(int offset) {
        int slot = slotOf(offset);
        claimedSlots &= ~(1L << slot);
        freeSlots |= 1L << slot;
    }

    private int slotOf(int offset) {
        int slot = (offset - headerSize) / slotSize;
        if (slot < 0 || slot >= slots || (claimedSlots & (1L << slot)) == 0
                || (long) slot * slotSize + headerSize != offset) {
            throw new IllegalArgumentException("offset " + offset + " was not claimed");
        }
        return slot;
    }

    /** Single writer (the stack's thread), so a plain read plus an ordered store suffices. */
    private void increment(int counter, long by) {
        counters.lazySet(counter, counters.get(counter) + by);
    }

    /** Frames handed to the stack. */
    public long receivedFrames() {
        return counters.get(RX_FRAMES);
    }

    /** Bytes of the frames handed to the stack (Ethernet header onward, without vnet header). */
    public long receivedBytes() {
        return counters.get(RX_BYTES);
    }

    /** Reads that found the queue empty (EAGAIN). */
    public long receiveAgain() {
        return counters.get(RX_AGAIN);
    }

    /** Frames read but dropped (runts) and reads that failed (see {@link #lastErrno()}). */
    public long receiveDrops() {
        return counters.get(RX_DROPS);
    }

    /** Frames handed to the stack that were super-frames (gso_type set): a peer's TSO frames or the kernel's GSO. */
    public long receivedSuperFrames() {
        return counters.get(RX_SUPER_FRAMES);
    }

    /** Frames handed to the stack with NEEDS_CSUM or DATA_VALID: their L4 checksum is not checked in software. */
    public long receivedChecksumTrusted() {
        return counters.get(RX_CHECKSUM_TRUSTED);
    }

    /** Frames written as TCPv4 super-frames, each cut into MSS-sized segments by the kernel or the peer. */
    public long transmittedSuperFrames() {
        return counters.get(TX_SUPER_FRAMES);
    }

    public long transmittedFrames() {
        return counters.get(TX_FRAMES);
    }

    public long transmittedBytes() {
        return counters.get(TX_BYTES);
    }

    /** Writes refused with EAGAIN (also counted in {@link #transmitDrops()}). */
    public long transmitAgain() {
        return counters.get(TX_AGAIN);
    }

    /** Frames not sent: EAGAIN or a failed write (see {@link #lastErrno()}). */
    public long transmitDrops() {
        return counters.get(TX_DROPS);
    }

    /** io_uring_enter calls that failed (see {@link #lastErrno()}); what they carried stayed queued. */
    public long submitFailures() {
        return counters.get(SUBMIT_FAILURES);
    }

    /** The errno of the last failed read, write or io_uring_enter, 0 if none failed. */
    public int lastErrno() {
        return lastErrno;
    }

    /** Detaches from the tap (which disappears unless persistent) and frees the buffers. */
    @Override
    public void close() {
        if (!arena.scope().isAlive()) {
            return;
        }
        try {
            if (ring != null) {
                // Every read and write was RWF_NOWAIT and has completed: no operation still points into the buffers.
                ring.close();
            }
            tun.close();
        } catch (SyscallException e) {
            throw new UncheckedIOException(e);
        } finally {
            arena.close();
        }
    }
}
