package dev.tapir.engine.stack.phy;

import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * A point-to-point Ethernet link in memory: one single-producer single-consumer ring per direction, frames built in
 * place in the ring ({@link Device#claim} is the ring's tryClaim) and read where they lie. Each end is driven by one
 * thread; the two ends may be on different threads.
 *
 * <p>With checksum offload on (as on the kernel's loopback) both ends grant {@link DeviceOffloads#transmitChecksumPartial()}:
 * a frame marked by {@link Device#offloadTransmit} crosses with only the pseudo-header sum in its L4 checksum field and
 * is handed up with {@link FrameHandler#CHECKSUM_PARTIAL}, so neither stack sums the payload. The mark travels in the
 * ring record's message type. No segmentation: frames stay MTU-sized either way.
 */
public final class MemoryLink {
    /** Ring capacity per direction when none is given: room for about 1400 full-size frames. */
    public static final int DEFAULT_CAPACITY = 1 << 21;
    private static final int FRAME_MESSAGE_TYPE = 1;
    /** A frame whose L4 checksum field holds only the pseudo-header sum (marked by offloadTransmit). */
    private static final int CHECKSUM_PARTIAL_FRAME_MESSAGE_TYPE = 2;

    private final End a;
    private final End b;

    /**
     * @param mtu largest IP packet per frame (1500 for Ethernet)
     * @param capacityBytes bytes per direction, a power of two; must hold at least 8 maximum-size frames
     */
    public MemoryLink(int mtu, int capacityBytes) {
        this(mtu, capacityBytes, false);
    }

    /**
     * @param mtu largest IP packet per frame (1500 for Ethernet)
     * @param capacityBytes bytes per direction, a power of two; must hold at least 8 maximum-size frames
     * @param checksumOffload both ends carry partial L4 checksums instead of summing every frame
     */
    public MemoryLink(int mtu, int capacityBytes, boolean checksumOffload) {
        if (Integer.bitCount(capacityBytes) != 1) {
            throw new IllegalArgumentException("memory link capacity must be a power of two, not " + capacityBytes);
        }
        if (mtu < 576 || (mtu + 14) * 8 > capacityBytes) {
            throw new IllegalArgumentException("memory link MTU " + mtu + " needs 576 or more and at most capacity/8");
        }
        OneToOneRingBuffer aToB = ring(capacityBytes);
        OneToOneRingBuffer bToA = ring(capacityBytes);
        DeviceOffloads offloads = checksumOffload ? new DeviceOffloads(true, 0, mtu + 14) : DeviceOffloads.none(mtu);
        this.a = new End(mtu, offloads, bToA, aToB);
        this.b = new End(mtu, offloads, aToB, bToA);
    }

    public MemoryLink(int mtu) {
        this(mtu, DEFAULT_CAPACITY);
    }

    public End endA() {
        return a;
    }

    public End endB() {
        return b;
    }

    private static OneToOneRingBuffer ring(int capacity) {
        int length = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        return new OneToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(length, 64)));
    }

    /** One end of the link: a {@link Device} driven by one thread. */
    public static final class End implements Device {
        private final int mtu;
        private final int maxFrameLength;
        private final DeviceOffloads offloads;
        private final OneToOneRingBuffer receiveRing;
        private final OneToOneRingBuffer transmitRing;
        private final MessageHandler onMessage = this::onMessage;
        private FrameHandler handler;
        private long receivedChecksumPartial;

        End(int mtu, DeviceOffloads offloads, OneToOneRingBuffer receiveRing, OneToOneRingBuffer transmitRing) {
            this.mtu = mtu;
            this.maxFrameLength = mtu + 14;
            this.offloads = offloads;
            this.receiveRing = receiveRing;
            this.transmitRing = transmitRing;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        /**
         * None by default: MTU-sized frames with full checksums, like a plain Ethernet link. With checksum offload,
         * partial checksums and still no segmentation.
         */
        @Override
        public DeviceOffloads offloads() {
            return offloads;
        }

        @Override
        public void offloadTransmit(int offset, int checksumStart, int checksumOffset, int headerLength,
                int segmentSize) {
            if (!offloads.transmitChecksumPartial() || segmentSize != 0) {
                throw new IllegalStateException(offloads.transmitChecksumPartial()
                        ? "a memory link does not segment super-frames" : "this memory link offers no offloads");
            }
            // The claimed record's header precedes the frame; commit publishes it with the type changed here.
            transmitRing.buffer().putInt(RecordDescriptor.typeOffset(offset - RecordDescriptor.HEADER_LENGTH),
                    CHECKSUM_PARTIAL_FRAME_MESSAGE_TYPE);
        }

        @Override
        public int receive(long nowNanos, FrameHandler handler, int limit) {
            this.handler = handler;
            return receiveRing.read(onMessage, limit);
        }

        private void onMessage(int messageType, MutableDirectBuffer buffer, int index, int length) {
            if (messageType == CHECKSUM_PARTIAL_FRAME_MESSAGE_TYPE) {
                receivedChecksumPartial++;
                handler.onFrame(buffer, index, length, FrameHandler.CHECKSUM_PARTIAL);
            } else {
                handler.onFrame(buffer, index, length, 0);
            }
        }

        /**
         * Frames handed up with {@link FrameHandler#CHECKSUM_PARTIAL}, their L4 checksum not checked. Written by this
         * end's thread; read it there or after that thread stopped.
         */
        public long receivedChecksumPartial() {
            return receivedChecksumPartial;
        }

        @Override
        public int claim(int length) {
            if (length <= 0 || length > maxFrameLength) {
                return -1;
            }
            int index = transmitRing.tryClaim(FRAME_MESSAGE_TYPE, length);
            return index < 0 ? -1 : index;
        }

        @Override
        public MutableDirectBuffer transmitBuffer() {
            return transmitRing.buffer();
        }

        @Override
        public void commit(long nowNanos, int offset) {
            transmitRing.commit(offset);
        }

        @Override
        public void abort(int offset) {
            transmitRing.abort(offset);
        }

        /** The rings are plain memory freed with the link object; closing an end has nothing to release. */
        @Override
        public void close() {
        }
    }
}
