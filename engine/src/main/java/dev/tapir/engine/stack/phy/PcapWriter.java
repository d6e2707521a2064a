package dev.tapir.engine.stack.phy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.DirectBuffer;

/**
 * Wraps any device and records every frame, received and sent, in a classic libpcap file (LINKTYPE_ETHERNET,
 * microsecond timestamps) that Wireshark and tshark open. Records collect in an off-heap buffer written out when full
 * and on {@link #close}. Timestamps are the stack's clock shifted to the wall clock as it was at construction.
 */
public final class PcapWriter extends ForwardingDevice {
    public static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    public static final int LINKTYPE_ETHERNET = 1;
    /** tcpdump's default: room for a whole 64 KiB super-frame. */
    public static final int SNAPSHOT_LENGTH = 262144;
    public static final int FILE_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;
    private static final int BUFFER_LENGTH = 1 << 20;
    /** Frames claimed but not yet committed that the writer can track at once. */
    private static final int MAX_OUTSTANDING_CLAIMS = 64;

    private final FileChannel channel;
    private final ByteBuffer out;
    private final long wallClockOffsetNanos;
    private final int[] claimOffsets = new int[MAX_OUTSTANDING_CLAIMS];
    private final int[] claimLengths = new int[MAX_OUTSTANDING_CLAIMS];
    private int claims;
    private long records;
    private long writeFailures;
    private boolean failed;

    private final FrameHandler onInnerFrame = this::onInnerFrame;
    private FrameHandler downstream;
    private long now;

    public PcapWriter(Device inner, Path file) throws IOException {
        this(inner, file, System.currentTimeMillis() * 1_000_000L - System.nanoTime());
    }

    /**
     * @param wallClockOffsetNanos added to the stack's clock to give the epoch time written in each record
     */
    public PcapWriter(Device inner, Path file, long wallClockOffsetNanos) throws IOException {
        super(inner);
        this.wallClockOffsetNanos = wallClockOffsetNanos;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        this.out = ByteBuffer.allocateDirect(BUFFER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(MAGIC_MICROSECONDS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(SNAPSHOT_LENGTH).putInt(LINKTYPE_ETHERNET);
    }

    /** Frames written so far (received and sent). */
    public long records() {
        return records;
    }

    /** Writes to the file that failed; after the first, capture stops and the link goes on. */
    public long writeFailures() {
        return writeFailures;
    }

    @Override
    public int receive(long nowNanos, FrameHandler handler, int limit) {
        this.now = nowNanos;
        this.downstream = handler;
        int received = inner.receive(nowNanos, onInnerFrame, limit);
        this.downstream = null;
        return received;
    }

    private void onInnerFrame(DirectBuffer buffer, int offset, int length, int flags) {
        record(now, buffer, offset, length);
        downstream.onFrame(buffer, offset, length, flags);
    }

    @Override
    public int claim(int length) {
        if (claims == MAX_OUTSTANDING_CLAIMS) {
            return -1;
        }
        int offset = inner.claim(length);
        if (offset >= 0) {
            claimOffsets[claims] = offset;
            claimLengths[claims] = length;
            claims++;
        }
        return offset;
    }

    @Override
    public void commit(long nowNanos, int offset) {
        int length = forget(offset);
        if (length >= 0) {
            // Recorded before the commit: once committed the frame may be consumed and overwritten at once.
            record(nowNanos, inner.transmitBuffer(), offset, length);
        }
        inner.commit(nowNanos, offset);
    }

    @Override
    public void abort(int offset) {
        forget(offset);
        inner.abort(offset);
    }

    private int forget(int offset) {
        for (int i = 0; i < claims; i++) {
            if (claimOffsets[i] == offset) {
                int length = claimLengths[i];
                claims--;
                claimOffsets[i] = claimOffsets[claims];
                claimLengths[i] = claimLengths[claims];
                return length;
            }
        }
        return -1;
    }

    private void record(long nowNanos, DirectBuffer buffer, int offset, int length) {
        if (failed) {
            return;
        }
        int captured = Math.min(length, SNAPSHOT_LENGTH);
        if (out.remaining() < RECORD_HEADER_LENGTH + captured && !drain()) {
            return;
        }
        long epochMicros = (nowNanos + wallClockOffsetNanos) / 1000;
        int position = out.position();
        out.putInt(position, (int) (epochMicros / 1_000_000));
        out.putInt(position + 4, (int) (epochMicros % 1_000_000));
        out.putInt(position + 8, captured);
        out.putInt(position + 12, length);
        buffer.getBytes(offset, out, position + RECORD_HEADER_LENGTH, captured);
        out.position(position + RECORD_HEADER_LENGTH + captured);
        records++;
    }

    /** Writes the buffer out; on failure counts it and stops capturing rather than break the stack loop. */
    private boolean drain() {
        out.flip();
        try {
            while (out.hasRemaining()) {
                channel.write(out);
            }
            out.clear();
            return true;
        } catch (IOException e) {
            writeFailures++;
            failed = true;
            out.clear();
            return false;
        }
    }

    /** Flushes buffered records to the file. */
    public void flush() {
        if (!failed) {
            drain();
        }
    }

    @Override
    public void close() {
        try {
            flush();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing pcap file", e);
        } finally {
            inner.close();
        }
    }
}
