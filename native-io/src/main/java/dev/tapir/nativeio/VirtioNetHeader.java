package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct virtio_net_hdr} (10 bytes) and {@code struct virtio_net_hdr_mrg_rxbuf} (12 bytes), which a tap opened
 * with {@link Tun#IFF_VNET_HDR} puts in front of every frame it reads and expects in front of every frame written.
 *
 * <p>A tap uses legacy virtio, whose fields are in the host's byte order (little-endian on x86-64 and arm64), hence
 * native-order layouts. {@code csum_start} counts from the first byte of the Ethernet frame, not of the header.
 * Accessors take the segment and the offset of the header, so they work in place on a receive or transmit buffer.
 */
public final class VirtioNetHeader {
    /** Set on a frame whose L4 checksum is partial: the stack must finish it from csum_start/csum_offset. */
    public static final int F_NEEDS_CSUM = 1;
    /** Set on a received frame whose checksums the sender vouched for. */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    /** Or-ed into gso_type when the TCP super-frame has ECN's CWR set. */
    public static final int GSO_ECN = 0x80;

    /** {@code struct virtio_net_hdr}: the default tap header (TUNSETVNETHDRSZ 10). */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_BYTE.withName("flags"),
            JAVA_BYTE.withName("gso_type"),
            JAVA_SHORT_UNALIGNED.withName("hdr_len"),
            JAVA_SHORT_UNALIGNED.withName("gso_size"),
            JAVA_SHORT_UNALIGNED.withName("csum_start"),
            JAVA_SHORT_UNALIGNED.withName("csum_offset"));

    /** {@code struct virtio_net_hdr_mrg_rxbuf}: the header plus {@code num_buffers} (TUNSETVNETHDRSZ 12). */
    public static final StructLayout MRG_RXBUF_LAYOUT = MemoryLayout.structLayout(
            LAYOUT.withName("hdr"),
            JAVA_SHORT_UNALIGNED.withName("num_buffers"));

    public static final int SIZE = (int) LAYOUT.byteSize();
    public static final int MRG_RXBUF_SIZE = (int) MRG_RXBUF_LAYOUT.byteSize();

    private static final VarHandle FLAGS = field("flags");
    private static final VarHandle GSO_TYPE = field("gso_type");
    private static final VarHandle HDR_LEN = field("hdr_len");
    private static final VarHandle GSO_SIZE = field("gso_size");
    private static final VarHandle CSUM_START = field("csum_start");
    private static final VarHandle CSUM_OFFSET = field("csum_offset");
    private static final VarHandle NUM_BUFFERS =
            MRG_RXBUF_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("num_buffers"));

    private VirtioNetHeader() {
    }

    private static VarHandle field(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    public static int flags(MemorySegment seg, long at) {
        return Byte.toUnsignedInt((byte) FLAGS.get(seg, at));
    }

    public static int gsoType(MemorySegment seg, long at) {
        return Byte.toUnsignedInt((byte) GSO_TYPE.get(seg, at));
    }

    /** Length of the Ethernet + IP + L4 headers of a GSO super-frame. */
    public static int headerLength(MemorySegment seg, long at) {
        return Short.toUnsignedInt((short) HDR_LEN.get(seg, at));
    }

    /** Payload bytes per segment (the MSS) of a GSO super-frame. */
    public static int gsoSize(MemorySegment seg, long at) {
        return Short.toUnsignedInt((short) GSO_SIZE.get(seg, at));
    }

    public static int checksumStart(MemorySegment seg, long at) {
        return Short.toUnsignedInt((short) CSUM_START.get(seg, at));
    }

    public static int checksumOffset(MemorySegment seg, long at) {
        return Short.toUnsignedInt((short) CSUM_OFFSET.get(seg, at));
    }

    public static int numBuffers(MemorySegment seg, long at) {
        return Short.toUnsignedInt((short) NUM_BUFFERS.get(seg, at));
    }

    /** Writes every field of the 10-byte header. */
    public static void set(MemorySegment seg, long at, int flags, int gsoType, int headerLength, int gsoSize,
            int checksumStart, int checksumOffset) {
        FLAGS.set(seg, at, (byte) flags);
        GSO_TYPE.set(seg, at, (byte) gsoType);
        HDR_LEN.set(seg, at, (short) headerLength);
        GSO_SIZE.set(seg, at, (short) gsoSize);
        CSUM_START.set(seg, at, (short) checksumStart);
        CSUM_OFFSET.set(seg, at, (short) checksumOffset);
    }

    public static void setNumBuffers(MemorySegment seg, long at, int numBuffers) {
        NUM_BUFFERS.set(seg, at, (short) numBuffers);
    }
}
