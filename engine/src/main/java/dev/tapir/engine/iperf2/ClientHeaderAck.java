package dev.tapir.engine.iperf2;

import java.lang.foreign.MemorySegment;

/**
 * Flyweight over the 28-byte {@code client_hdr_ack} a 2.1.8 server writes once on a TCP connection after it read the
 * client header: type {@link #CLIENTHDRACK}, length 28, flags, version 2.1.8 final, two reserved words.
 */
public final class ClientHeaderAck {
    /** Message type of the acknowledgement (iperf 2's MsgType enum: CLIENTHDR = 1, CLIENTHDRACK = 2). */
    public static final int CLIENTHDRACK = 2;

    public static final int TYPE_OFFSET = 0;
    public static final int LENGTH_OFFSET = 4;
    public static final int FLAGS_OFFSET = 8;
    public static final int VERSION_UPPER_OFFSET = 12;
    public static final int VERSION_LOWER_OFFSET = 16;
    public static final int RESERVED1_OFFSET = 20;
    public static final int RESERVED2_OFFSET = 24;
    public static final int LENGTH = 28;

    private MemorySegment segment;
    private long offset;

    public ClientHeaderAck wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int type() {
        return segment.get(Wire.INT, offset + TYPE_OFFSET);
    }

    public int length() {
        return segment.get(Wire.INT, offset + LENGTH_OFFSET);
    }

    public int flags() {
        return segment.get(Wire.INT, offset + FLAGS_OFFSET);
    }

    public int versionUpper() {
        return segment.get(Wire.INT, offset + VERSION_UPPER_OFFSET);
    }

    public int versionLower() {
        return segment.get(Wire.INT, offset + VERSION_LOWER_OFFSET);
    }

    /** Writes the acknowledgement exactly as 2.1.8 does. */
    public ClientHeaderAck writeAs218() {
        segment.asSlice(offset, LENGTH).fill((byte) 0);
        segment.set(Wire.INT, offset + TYPE_OFFSET, CLIENTHDRACK);
        segment.set(Wire.INT, offset + LENGTH_OFFSET, LENGTH);
        segment.set(Wire.INT, offset + VERSION_UPPER_OFFSET, Wire.VERSION_UPPER);
        segment.set(Wire.INT, offset + VERSION_LOWER_OFFSET, Wire.VERSION_LOWER);
        return this;
    }

    /** True when the bytes are an acknowledgement (type and length match). */
    public boolean isAck() {
        return type() == CLIENTHDRACK && length() == LENGTH;
    }
}
