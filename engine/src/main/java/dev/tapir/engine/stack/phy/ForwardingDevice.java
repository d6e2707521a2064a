package dev.tapir.engine.stack.phy;

import org.agrona.MutableDirectBuffer;

/**
 * A device that wraps another and passes everything through to it; a wrapper (fault injector, pcap writer) overrides
 * only what it changes. The wrapper has the inner device's MTU and offloads.
 */
public abstract class ForwardingDevice implements Device {
    protected final Device inner;

    protected ForwardingDevice(Device inner) {
        this.inner = inner;
    }

    @Override
    public int mtu() {
        return inner.mtu();
    }

    @Override
    public DeviceOffloads offloads() {
        return inner.offloads();
    }

    @Override
    public int receive(long nowNanos, FrameHandler handler, int limit) {
        return inner.receive(nowNanos, handler, limit);
    }

    @Override
    public int claim(int length) {
        return inner.claim(length);
    }

    @Override
    public MutableDirectBuffer transmitBuffer() {
        return inner.transmitBuffer();
    }

    @Override
    public void offloadTransmit(int offset, int checksumStart, int checksumOffset, int headerLength,
            int segmentSize) {
        inner.offloadTransmit(offset, checksumStart, checksumOffset, headerLength, segmentSize);
    }

    @Override
    public void commit(long nowNanos, int offset) {
        inner.commit(nowNanos, offset);
    }

    @Override
    public void sendCommitted(long nowNanos) {
        inner.sendCommitted(nowNanos);
    }

    @Override
    public void abort(int offset) {
        inner.abort(offset);
    }

    @Override
    public void close() {
        inner.close();
    }
}
