package dev.tapir.engine.stack.tcp;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The TCP options tapir understands (RFC 9293 MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK), as plain
 * fields: {@link #parse} fills them from a header in place, {@link #write} emits the fields that are set. One reusable
 * instance per direction; nothing allocates.
 */
public final class TcpOptions {
    public static final int KIND_END = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMPS = 8;
    /** Largest shift RFC 7323 §2.3 allows. */
    public static final int MAX_WINDOW_SCALE = 14;
    public static final int MAX_SACK_BLOCKS = 4;

    /** Maximum segment size, 0 when absent. */
    public int mss;
    /** Window scale shift, -1 when absent. */
    public int windowScale = -1;
    public boolean sackPermitted;
    public boolean timestamps;
    public int tsVal;
    public int tsEcr;
    /** Number of SACK blocks present (0..4). */
    public int sackCount;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];

    public TcpOptions clear() {
        mss = 0;
        windowScale = -1;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackCount = 0;
        return this;
    }

    /**
     * Parses the options in {@code buffer[offset, offset + length)}; returns false on a malformed option (a length
     * that runs past the end or is too short for its kind). Unknown kinds are skipped.
     */
    public boolean parse(DirectBuffer buffer, int offset, int length) {
        clear();
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int kind = buffer.getByte(i) & 0xff;
            if (kind == KIND_END) {
                return true;
            }
            if (kind == KIND_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return false;
            }
            int len = buffer.getByte(i + 1) & 0xff;
            if (len < 2 || i + len > end) {
                return false;
            }
            switch (kind) {
                case KIND_MSS -> {
                    if (len != 4) {
                        return false;
                    }
                    mss = buffer.getShort(i + 2, ByteOrder.BIG_ENDIAN) & 0xffff;
                }
                case KIND_WINDOW_SCALE -> {
                    if (len != 3) {
                        return false;
                    }
                    // RFC 7323 §2.3: a larger shift is treated as 14.
                    windowScale = Math.min(buffer.getByte(i + 2) & 0xff, MAX_WINDOW_SCALE);
                }
                case KIND_SACK_PERMITTED -> {
                    if (len != 2) {
                        return false;
                    }
                    sackPermitted = true;
                }
                case KIND_TIMESTAMPS -> {
                    if (len != 10) {
                        return false;
                    }
                    timestamps = true;
                    tsVal = buffer.getInt(i + 2, ByteOrder.BIG_ENDIAN);
                    tsEcr = buffer.getInt(i + 6, ByteOrder.BIG_ENDIAN);
                }
                case KIND_SACK -> {
                    if ((len - 2) % 8 != 0) {
                        return false;
                    }
                    int blocks = Math.min((len - 2) / 8, MAX_SACK_BLOCKS);
                    for (int b = 0; b < blocks; b++) {
                        sackLeft[b] = buffer.getInt(i + 2 + 8 * b, ByteOrder.BIG_ENDIAN);
                        sackRight[b] = buffer.getInt(i + 6 + 8 * b, ByteOrder.BIG_ENDIAN);
                    }
                    sackCount = blocks;
                }
                default -> {
                    // Unknown options are ignored (RFC 9293 §3.1).
                }
            }
            i += len;
        }
        return true;
    }

    /** Bytes {@link #write} will emit for the fields that are set, a multiple of 4. */
    public int length() {
        int n = 0;
        if (mss != 0) {
            n += 4;
        }
        if (sackPermitted || timestamps) {
            n += timestamps ? 12 : 4;
        }
        if (windowScale >= 0) {
            n += 4;
        }
        if (sackCount > 0) {
            n += 4 + 8 * sackCount;
        }
        return n;
    }

    /** Writes the set options at {@code offset} (Linux's order, NOP-padded to 32-bit words); returns the length. */
    public int write(MutableDirectBuffer buffer, int offset) {
        int i = offset;
        if (mss != 0) {
            buffer.putByte(i, (byte) KIND_MSS);
            buffer.putByte(i + 1, (byte) 4);
            buffer.putShort(i + 2, (short) mss, ByteOrder.BIG_ENDIAN);
            i += 4;
        }
        if (timestamps) {
            if (sackPermitted) {
                buffer.putByte(i, (byte) KIND_SACK_PERMITTED);
                buffer.putByte(i + 1, (byte) 2);
            } else {
                buffer.putByte(i, (byte) KIND_NOP);
                buffer.putByte(i + 1, (byte) KIND_NOP);
            }
            buffer.putByte(i + 2, (byte) KIND_TIMESTAMPS);
            buffer.putByte(i + 3, (byte) 10);
            buffer.putInt(i + 4, tsVal, ByteOrder.BIG_ENDIAN);
            buffer.putInt(i + 8, tsEcr, ByteOrder.BIG_ENDIAN);
            i += 12;
        } else if (sackPermitted) {
            buffer.putByte(i, (byte) KIND_NOP);
            buffer.putByte(i + 1, (byte) KIND_NOP);
            buffer.putByte(i + 2, (byte) KIND_SACK_PERMITTED);
            buffer.putByte(i + 3, (byte) 2);
            i += 4;
        }
        if (windowScale >= 0) {
            buffer.putByte(i, (byte) KIND_NOP);
            buffer.putByte(i + 1, (byte) KIND_WINDOW_SCALE);
            buffer.putByte(i + 2, (byte) 3);
            buffer.putByte(i + 3, (byte) windowScale);
            i += 4;
        }
        if (sackCount > 0) {
            buffer.putByte(i, (byte) KIND_NOP);
            buffer.putByte(i + 1, (byte) KIND_NOP);
            buffer.putByte(i + 2, (byte) KIND_SACK);
            buffer.putByte(i + 3, (byte) (2 + 8 * sackCount));
            for (int b = 0; b < sackCount; b++) {
                buffer.putInt(i + 4 + 8 * b, sackLeft[b], ByteOrder.BIG_ENDIAN);
                buffer.putInt(i + 8 + 8 * b, sackRight[b], ByteOrder.BIG_ENDIAN);
            }
            i += 4 + 8 * sackCount;
        }
        return i - offset;
    }
}
