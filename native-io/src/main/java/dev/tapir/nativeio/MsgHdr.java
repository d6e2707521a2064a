package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * The message structures of sendmsg/recvmsg and sendmmsg/recvmmsg: {@code struct msghdr}, {@code struct mmsghdr},
 * {@code struct iovec} and {@code struct cmsghdr} with the CMSG_* arithmetic (64-bit Linux). Accessors take the
 * segment and the byte offset of the structure in it, so that arrays of them live in one segment and nothing is
 * allocated per call.
 */
public final class MsgHdr {
    /** {@code struct iovec { void *iov_base; size_t iov_len; }}. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"));

    /** {@code struct msghdr}: 56 bytes. */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
            ADDRESS.withName("msg_name"),
            JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("msg_iov"),
            JAVA_LONG.withName("msg_iovlen"),
            ADDRESS.withName("msg_control"),
            JAVA_LONG.withName("msg_controllen"),
            JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4));

    /** {@code struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }}: 64 bytes. */
    public static final StructLayout MMSGHDR = MemoryLayout.structLayout(
            MSGHDR.withName("msg_hdr"), JAVA_INT.withName("msg_len"), MemoryLayout.paddingLayout(4));

    /** {@code struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }}, data follows at {@link #CMSG_DATA}. */
    public static final StructLayout CMSGHDR = MemoryLayout.structLayout(
            JAVA_LONG.withName("cmsg_len"), JAVA_INT.withName("cmsg_level"), JAVA_INT.withName("cmsg_type"));

    /** Offset of a control message's data from its header: {@code CMSG_DATA(c) - c}. */
    public static final long CMSG_DATA = cmsgAlign(CMSGHDR.byteSize());

    private static final long IOV_BASE_OFFSET = IOVEC.byteOffset(MemoryLayout.PathElement.groupElement("iov_base"));
    private static final long NAME_OFFSET = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_name"));
    private static final long IOV_OFFSET = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_iov"));
    private static final long CONTROL_OFFSET = MSGHDR.byteOffset(MemoryLayout.PathElement.groupElement("msg_control"));
    private static final VarHandle IOV_BASE = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_base"));
    private static final VarHandle IOV_LEN = IOVEC.varHandle(MemoryLayout.PathElement.groupElement("iov_len"));
    private static final VarHandle NAME = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_name"));
    private static final VarHandle NAMELEN = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_namelen"));
    private static final VarHandle IOV = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_iov"));
    private static final VarHandle IOVLEN = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_iovlen"));
    private static final VarHandle CONTROL = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_control"));
    private static final VarHandle CONTROLLEN =
            MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_controllen"));
    private static final VarHandle FLAGS = MSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_flags"));
    private static final VarHandle MSG_LEN = MMSGHDR.varHandle(MemoryLayout.PathElement.groupElement("msg_len"));
    private static final VarHandle CMSG_LEN = CMSGHDR.varHandle(MemoryLayout.PathElement.groupElement("cmsg_len"));
    private static final VarHandle CMSG_LEVEL = CMSGHDR.varHandle(MemoryLayout.PathElement.groupElement("cmsg_level"));
    private static final VarHandle CMSG_TYPE = CMSGHDR.varHandle(MemoryLayout.PathElement.groupElement("cmsg_type"));

    private MsgHdr() {
    }

    /** {@code CMSG_ALIGN}: control messages are aligned to {@code sizeof(size_t)}. */
    public static long cmsgAlign(long length) {
        return (length + 7) & ~7L;
    }

    /** {@code CMSG_SPACE(dataLength)}: room one control message takes in the control buffer. */
    public static long cmsgSpace(long dataLength) {
        return CMSG_DATA + cmsgAlign(dataLength);
    }

    /** {@code CMSG_LEN(dataLength)}: the value of {@code cmsg_len} for that much data. */
    public static long cmsgLen(long dataLength) {
        return CMSG_DATA + dataLength;
    }

    /** Fills the iovec at {@code at}. */
    public static void iovec(MemorySegment iovs, long at, MemorySegment base, long length) {
        IOV_BASE.set(iovs, at, base);
        IOV_LEN.set(iovs, at, length);
    }

    /**
     * Fills the iovec at {@code at} with the {@code length} bytes of {@code base} from {@code baseOffset} on. Unlike
     * {@link #iovec(MemorySegment, long, MemorySegment, long)} it makes no slice, so a hot loop allocates nothing
     * even before the JIT has compiled it. {@code base} must be native memory the caller keeps alive until the call
     * that uses the iovec has returned.
     */
    public static void iovec(MemorySegment iovs, long at, MemorySegment base, long baseOffset, long length) {
        IOV_LEN.set(iovs, at, length);
        iovs.set(JAVA_LONG, at + IOV_BASE_OFFSET, address(base, baseOffset, length));
    }

    /**
     * Fills the msghdr at {@code at} as {@link #msghdr(MemorySegment, long, MemorySegment, int, MemorySegment, long,
     * MemorySegment, long)} does, with each pointer given as a segment and an offset into it (no slices made): the
     * name at {@code nameOffset} of {@code names}, {@code iovCount} iovecs at {@code iovOffset} of {@code iovs}, the
     * control buffer at {@code controlOffset} of {@code controls}. A {@link MemorySegment#NULL} with offset and length
     * 0 stands for a null pointer. The segments must be native memory the caller keeps alive.
     */
    public static void msghdr(MemorySegment msgs, long at, MemorySegment names, long nameOffset, int nameLength,
            MemorySegment iovs, long iovOffset, long iovCount, MemorySegment controls, long controlOffset,
            long controlLength) {
        NAMELEN.set(msgs, at, nameLength);
        IOVLEN.set(msgs, at, iovCount);
        CONTROLLEN.set(msgs, at, controlLength);
        FLAGS.set(msgs, at, 0);
        msgs.set(JAVA_LONG, at + NAME_OFFSET, address(names, nameOffset, nameLength));
        msgs.set(JAVA_LONG, at + IOV_OFFSET, address(iovs, iovOffset, iovCount * IOVEC.byteSize()));
        msgs.set(JAVA_LONG, at + CONTROL_OFFSET, address(controls, controlOffset, controlLength));
    }

    /** The native address of {@code length} bytes at {@code offset} in {@code segment}, bounds checked. */
    private static long address(MemorySegment segment, long offset, long length) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("kernel structures can only point to native memory");
        }
        Objects.checkFromIndexSize(offset, length, segment.byteSize());
        return segment.address() + offset;
    }

    /**
     * Fills the msghdr at {@code at} (also the start of an mmsghdr) and clears its flags. {@code name} and
     * {@code control} may be {@link MemorySegment#NULL} with length 0.
     */
    public static void msghdr(MemorySegment msgs, long at, MemorySegment name, int nameLength, MemorySegment iov,
            long iovCount, MemorySegment control, long controlLength) {
        NAME.set(msgs, at, name);
        NAMELEN.set(msgs, at, nameLength);
        IOV.set(msgs, at, iov);
        IOVLEN.set(msgs, at, iovCount);
        CONTROL.set(msgs, at, control);
        CONTROLLEN.set(msgs, at, controlLength);
        FLAGS.set(msgs, at, 0);
    }

    /** {@code msg_namelen} after a receive: the length of the source address written. */
    public static int nameLength(MemorySegment msgs, long at) {
        return (int) NAMELEN.get(msgs, at);
    }

    /** {@code msg_controllen} after a receive: bytes of control messages written. */
    public static long controlLength(MemorySegment msgs, long at) {
        return (long) CONTROLLEN.get(msgs, at);
    }

    /** {@code msg_flags} after a receive (MSG_TRUNC, MSG_CTRUNC...). */
    public static int flags(MemorySegment msgs, long at) {
        return (int) FLAGS.get(msgs, at);
    }

    /** {@code msg_len} of the mmsghdr at {@code at}: bytes sent or received for that message. */
    public static int messageLength(MemorySegment msgs, long at) {
        return (int) MSG_LEN.get(msgs, at);
    }

    /** Writes a control message header at {@code at} for {@code dataLength} bytes of data. */
    public static void cmsgHeader(MemorySegment control, long at, int level, int type, long dataLength) {
        CMSG_LEN.set(control, at, cmsgLen(dataLength));
        CMSG_LEVEL.set(control, at, level);
        CMSG_TYPE.set(control, at, type);
    }

    public static long cmsgLength(MemorySegment control, long at) {
        return (long) CMSG_LEN.get(control, at);
    }

    public static int cmsgLevel(MemorySegment control, long at) {
        return (int) CMSG_LEVEL.get(control, at);
    }

    public static int cmsgType(MemorySegment control, long at) {
        return (int) CMSG_TYPE.get(control, at);
    }

    /**
     * Finds the control message of {@code level}/{@code type} among the {@code controlLength} bytes a receive left
     * in {@code control}; returns the offset of its data, or -1 when absent.
     */
    public static long findCmsg(MemorySegment control, long controlLength, int level, int type) {
        return findCmsg(control, 0, controlLength, level, type);
    }

    /**
     * Like {@link #findCmsg(MemorySegment, long, int, int)} for a control buffer that starts at {@code base} in
     * {@code control} (one of several, as recvmmsg fills them); returns the offset of the data in {@code control}.
     */
    public static long findCmsg(MemorySegment control, long base, long controlLength, int level, int type) {
        long at = base;
        long end = base + controlLength;
        while (at + CMSGHDR.byteSize() <= end) {
            long length = cmsgLength(control, at);
            if (length < CMSGHDR.byteSize() || at + length > end) {
                return -1;
            }
            if (cmsgLevel(control, at) == level && cmsgType(control, at) == type) {
                return at + CMSG_DATA;
            }
            at += cmsgAlign(length);
        }
        return -1;
    }
}
