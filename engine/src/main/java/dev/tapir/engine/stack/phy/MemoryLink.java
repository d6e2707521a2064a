package dev.tapir.engine.stack.phy;

import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * A point-to-point Ethernet link in memory: one single-producer single-consumer ring per direction, frames built in
 * place in the ring ({@link Device#claim} is the ring's tryClaim) and read where they lie. Each end is driven by one
 * thread; the two ends may be on different threads.
 */
public final class MemoryLink {
    /** Ring capacity per direction when none is given: room for about 1400 full-size frames. */
    public static final int DEFAULT_CAPACITY = 1 << 21;
    private static final int FRAME_MESSAGE_TYPE = 1;

    private final End a;
    private final End b;

    /**
     * @param mtu largest IP packet per frame (1500 for Ethernet)
     * @param capacityBytes bytes per direction, a power of two; must hold at least 8 maximum-size frames
     */
    public MemoryLink(int mtu, int capacityBytes) {
        if (Integer.bitCount(capacityBytes) != 1) {
            throw new IllegalArgumentException("memory link capacity must be a power of two, not " + capacityBytes);
        }
        if (mtu < 576 || (mtu + 14) * 8 > capacityBytes) {
            throw new IllegalArgumentException("memory link MTU " + mtu + " needs 576 or more and at most capacity/8");
        }
        OneToOneRingBuffer aToB = ring(capacityBytes);
        OneToOneRingBuffer bToA = ring(capacityBytes);
        this.a = new End(mtu, bToA, aToB);
        this.b = new End(mtu, aToB, bToA);
    }

    public MemoryLink(int mtu) {
        this(mtu, DEFAULT_CAPACITY);
    }

    public Device endA() {
        return a;
    }

    public Device endB() {
        return b;
    }

    private static OneToOneRingBuffer ring(int capacity) {
        int length = capacity + RingBufferDescriptor.TRAILER_LENGTH;
        return new OneToOneRingBuffer(new UnsafeBuffer(BufferUtil.allocateDirectAligned(length, 64)));
    }

    private static final class End implements Device {
        private final int mtu;
        private final int maxFrameLength;
        private final DeviceOffloads offloads;
        private final OneToOneRingBuffer receiveRing;
        private final OneToOneRingBuffer transmitRing;
        private final MessageHandler onMessage = this::onMessage;
        private FrameHandler handler;

        End(int mtu, OneToOneRingBuffer receiveRing, OneToOneRingBuffer transmitRing) {
            this.mtu = mtu;
            this.maxFrameLength = mtu + 14;
            this.offloads = DeviceOffloads.none(mtu);
            this.receiveRing = receiveRing;
            this.transmitRing = transmitRing;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        /** None: the ring carries MTU-sized frames with full checksums, like a plain Ethernet link. */
        @Override
        public DeviceOffloads offloads() {
            return offloads;
        }

        @Override
        public void offloadTransmit(int offset, int checksumStart, int checksumOffset, int headerLength,
                int segmentSize) {
            throw new IllegalStateException("a memory link offers no offloads");
        }

        @Override
        public int receive(long nowNanos, FrameHandler handler, int limit) {
            this.handler = handler;
            return receiveRing.read(onMessage, limit);
        }

        private void onMessage(int messageType, MutableDirectBuffer buffer, int index, int length) {
            handler.onFrame(buffer, index, length, 0);
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
