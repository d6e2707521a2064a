package dev.tapir.engine.stack.phy;

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
 * A tap as a {@link Device}: one non-blocking {@code read} per received frame into an off-heap receive buffer, one
 * {@code write} per sent frame from an off-heap transmit buffer (a tap has no multi-frame syscall).
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

    /**
     * How to attach. {@code offloads} are TUN_F_* flags ({@link Tun#TUN_F_CSUM}, {@link Tun#TUN_F_TSO4}...) that this
     * side accepts on receive; they need the virtio-net header. The same flags decide what this side sends: partial
     * checksums with TUN_F_CSUM, TCPv4 super-frames with TUN_F_TSO4 ({@link #offloads()}). {@code transmitSlots}
     * (1..64) is how many frames may be claimed at once.
     */
    public record Options(boolean virtioNetHeader, int offloads, int transmitSlots) {
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

        /** Plain Ethernet frames, no offloads, 4 transmit slots. */
        public static Options plain() {
            return new Options(false, 0, 4);
        }

        /** Frames behind a virtio-net header, accepting {@code offloads} on receive, 4 transmit slots. */
        public static Options virtioNet(int offloads) {
            return new Options(true, offloads, 4);
        }

        /** Partial checksums and TCPv4 segmentation both ways: 64 KiB super-frames instead of MTU-sized frames. */
        public static Options tcpOffloads() {
            return virtioNet(Tun.TUN_F_CSUM | Tun.TUN_F_TSO4);
        }
    }

    private final Tun tun;
    private final int mtu;
    private final int headerSize;
    private final int maxFrame;
    private final DeviceOffloads offloads;
    private final Arena arena;
    private final MemorySegment receiveSegment;
    private final UnsafeBuffer receiveBuffer;
    private final MemorySegment transmitSegment;
    private final UnsafeBuffer transmitBuffer;
    private final int slotSize;
    private final int slots;
    private final int[] claimedLength;
    private long freeSlots;
    private final AtomicLongArray counters = new AtomicLongArray(11);
    private volatile int lastErrno;

    private TapDevice(Tun tun, int mtu, Options options) {
        this.tun = tun;
        this.mtu = mtu;
        this.headerSize = options.virtioNetHeader() ? VirtioNetHeader.SIZE : 0;
        this.maxFrame = options.virtioNetHeader() ? MAX_SUPER_FRAME : mtu + PLAIN_FRAME_SLACK;
        this.slotSize = align(headerSize + maxFrame);
        boolean checksumPartial = (options.offloads() & Tun.TUN_F_CSUM) != 0;
        boolean segmentation = (options.offloads() & Tun.TUN_F_TSO4) != 0;
        this.offloads = new DeviceOffloads(checksumPartial, segmentation ? MAX_SUPER_FRAME : 0,
                segmentation ? MAX_SUPER_FRAME : mtu + PLAIN_FRAME_SLACK);
        this.slots = options.transmitSlots();
        this.arena = Arena.ofShared();
        this.receiveSegment = arena.allocate(slotSize, SLOT_ALIGNMENT);
        this.receiveBuffer = new UnsafeBuffer(receiveSegment.address(), slotSize);
        this.transmitSegment = arena.allocate((long) slotSize * slots, SLOT_ALIGNMENT);
        this.transmitBuffer = new UnsafeBuffer(transmitSegment.address(), slotSize * slots);
        this.claimedLength = new int[slots];
        this.freeSlots = slots == 64 ? -1L : (1L << slots) - 1;
    }

    /**
     * Attaches to (or creates) the tap {@code name} in the calling thread's network namespace: opens it non-blocking,
     * sets the vnet header size and the offloads, and reads the link's MTU over rtnetlink. The device may then be
     * driven from any thread.
     */
    public static TapDevice open(String name, Options options) throws SyscallException {
        int flags = Tun.IFF_TAP | Tun.IFF_NO_PI | (options.virtioNetHeader() ? Tun.IFF_VNET_HDR : 0);
        Tun tun = Tun.open(name, flags, true);
        try (Netlink netlink = Netlink.open()) {
            if (options.virtioNetHeader()) {
                tun.setVnetHeaderSize(VirtioNetHeader.SIZE);
            }
            tun.setOffload(options.offloads());
            return new TapDevice(tun, netlink.link(tun.name()).mtu(), options);
        } catch (SyscallException | RuntimeException e) {
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
            int frameLength = n - headerSize;
            if (frameLength < 14 || n > slotSize) {
                increment(RX_DROPS, 1);
                continue;
            }
            increment(RX_FRAMES, 1);
            increment(RX_BYTES, frameLength);
            int flags = 0;
            if (headerSize != 0) {
                int header = VirtioNetHeader.flags(receiveSegment, 0);
                flags = ((header & VirtioNetHeader.F_NEEDS_CSUM) != 0 ? FrameHandler.CHECKSUM_PARTIAL : 0)
                        | ((header & VirtioNetHeader.F_DATA_VALID) != 0 ? FrameHandler.CHECKSUM_VALID : 0);
                if (VirtioNetHeader.gsoType(receiveSegment, 0) != VirtioNetHeader.GSO_NONE) {
                    increment(RX_SUPER_FRAMES, 1);
                }
                if (flags != 0) {
                    increment(RX_CHECKSUM_TRUSTED, 1);
                }
            }
            handler.onFrame(receiveBuffer, headerSize, frameLength, flags);
            handed++;
        }
        return handed;
    }

    /** gso_type of the frame being handed over ({@link VirtioNetHeader#GSO_NONE} for an ordinary frame). */
    public int receivedGsoType() {
        return headerSize == 0 ? VirtioNetHeader.GSO_NONE : VirtioNetHeader.gsoType(receiveSegment, 0);
    }

    /** The MSS of a received super-frame. */
    public int receivedGsoSize() {
        return headerSize == 0 ? 0 : VirtioNetHeader.gsoSize(receiveSegment, 0);
    }

    /** Ethernet + IP + L4 header length of a received super-frame. */
    public int receivedHeaderLength() {
        return headerSize == 0 ? 0 : VirtioNetHeader.headerLength(receiveSegment, 0);
    }

    /** Where, from the start of the frame, the partial checksum's coverage begins. */
    public int receivedChecksumStart() {
        return headerSize == 0 ? 0 : VirtioNetHeader.checksumStart(receiveSegment, 0);
    }

    /** Where, from {@link #receivedChecksumStart()}, the checksum field lies. */
    public int receivedChecksumOffset() {
        return headerSize == 0 ? 0 : VirtioNetHeader.checksumOffset(receiveSegment, 0);
    }

    @Override
    public int claim(int length) {
        if (length < 14 || length > maxFrame) {
            throw new IllegalArgumentException("frame length " + length + " outside 14.." + maxFrame);
        }
        if (freeSlots == 0) {
            return -1;
        }
        int slot = Long.numberOfTrailingZeros(freeSlots);
        freeSlots &= ~(1L << slot);
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

    @Override
    public void commit(long nowNanos, int offset) {
        int slot = slotOf(offset);
        int length = claimedLength[slot];
        freeSlots |= 1L << slot;
        int n;
        try {
            n = tun.write(transmitSegment, offset - headerSize, headerSize + length);
        } catch (SyscallException e) {
            lastErrno = e.errno();
            increment(TX_DROPS, 1);
            return;
        }
        if (n == Libc.AGAIN) {
            increment(TX_AGAIN, 1);
            increment(TX_DROPS, 1);
            return;
        }
        increment(TX_FRAMES, 1);
        increment(TX_BYTES, length);
        if (headerSize != 0
                && VirtioNetHeader.gsoType(transmitSegment, offset - headerSize) != VirtioNetHeader.GSO_NONE) {
            increment(TX_SUPER_FRAMES, 1);
        }
    }

    @Override
    public void abort(int offset) {
        freeSlots |= 1L << slotOf(offset);
    }

    private int slotOf(int offset) {
        int slot = (offset - headerSize) / slotSize;
        if (slot < 0 || slot >= slots || (freeSlots & (1L << slot)) != 0
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

    /** The errno of the last failed read or write, 0 if none failed. */
    public int lastErrno() {
        return lastErrno;
    }

    /** Detaches from the tap (which disappears unless persistent) and frees the buffers. */
    @Override
    public void close() {
        if (!arena.scope().isAlive()) {
            return;
        }
        arena.close();
        try {
            tun.close();
        } catch (SyscallException e) {
            throw new UncheckedIOException(e);
        }
    }
}
