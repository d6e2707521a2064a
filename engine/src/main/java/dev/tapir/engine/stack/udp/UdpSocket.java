package dev.tapir.engine.stack.udp;

import dev.tapir.engine.stack.ip.IpOutput;
import dev.tapir.engine.stack.wire.Ipv4Packet;
import dev.tapir.engine.stack.wire.UdpDatagram;
import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.nativeio.SockAddr;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * A UDP socket bound to a port (which other sockets may share, see {@link UdpLayer}), shared by the stack thread
 * and one user thread through two off-heap single-producer rings: the stack writes received datagrams into the
 * receive ring, the user writes datagrams to send into the send ring and the stack turns them into packets. Each ring
 * record is an 8-byte address header (peer IPv4 address and port) followed by the data.
 */
public final class UdpSocket {
    private static final int RECORD_ADDRESS_OFFSET = 0;
    private static final int RECORD_PORT_OFFSET = 4;
    private static final int RECORD_HEADER_LENGTH = 8;
    private static final int MESSAGE_TYPE = 1;
    static final long NO_PEER = -1;

    private final int localPort;
    private final boolean reuseAddress;
    private final OneToOneRingBuffer receiveRing;
    private final MemorySegment receiveMemory;
    private final OneToOneRingBuffer sendRing;
    private final MemorySegment sendMemory;
    /** Peer address in the high 32 bits, port in the low 16, or {@link #NO_PEER}; written by the user thread. */
    private volatile long peer = NO_PEER;

    // User thread state.
    private final ControlledMessageHandler onReceived = this::onReceived;
    private DatagramBatch batch;
    private long batchUsed;
    private int lastSourceAddress;
    private int lastSourcePort;

    // Stack thread state.
    /** The socket bound to the same port before this one, or null: {@link UdpLayer}'s chain, newest first. */
    UdpSocket nextOnPort;
    private final ControlledMessageHandler onSend = this::onSend;
    private final UdpDatagram datagramOut = new UdpDatagram();
    private IpOutput out;
    private long now;
    private int sent;

    UdpSocket(int localPort, boolean reuseAddress, int ringBytes) {
        this.localPort = localPort;
        this.reuseAddress = reuseAddress;
        ByteBuffer receive = BufferUtil.allocateDirectAligned(ringBytes + RingBufferDescriptor.TRAILER_LENGTH, 64);
        ByteBuffer send = BufferUtil.allocateDirectAligned(ringBytes + RingBufferDescriptor.TRAILER_LENGTH, 64);
        this.receiveRing = new OneToOneRingBuffer(new UnsafeBuffer(receive));
        this.sendRing = new OneToOneRingBuffer(new UnsafeBuffer(send));
        this.receiveMemory = MemorySegment.ofBuffer(receive);
        this.sendMemory = MemorySegment.ofBuffer(send);
    }

    public int localPort() {
        return localPort;
    }

    /** Whether other sockets may share this one's port (SO_REUSEADDR): only if all of them allow it. */
    boolean reuseAddress() {
        return reuseAddress;
    }

    // ---- user thread ----------------------------------------------------------------------------------------------

    /**
     * Only datagrams from this peer are received from now on; on a shared port they come to this socket rather than
     * to an unconnected one.
     */
    public void connect(int address, int port) {
        peer = peerKey(address, port);
    }

    /**
     * Queues one datagram for sending; false when the send ring has no room now. The data is copied once, from
     * {@code src} into the ring.
     */
    public boolean offer(int destination, int destinationPort, MemorySegment src, long offset, int length) {
        int index = sendRing.tryClaim(MESSAGE_TYPE, RECORD_HEADER_LENGTH + length);
        if (index < 0) {
            return false;
        }
        MutableDirectBuffer ring = sendRing.buffer();
        ring.putInt(index + RECORD_ADDRESS_OFFSET, destination);
        ring.putInt(index + RECORD_PORT_OFFSET, destinationPort);
        MemorySegment.copy(src, offset, sendMemory, index + RECORD_HEADER_LENGTH, length);
        sendRing.commit(index);
        return true;
    }

    /** Largest datagram the rings can carry. */
    public int maxRecordData() {
        return sendRing.maxMsgLength() - RECORD_HEADER_LENGTH;
    }

    /**
     * Moves queued datagrams into the batch's buffer, back to back, until the batch or its buffer is full; a datagram
     * longer than the whole buffer is truncated to it. Returns the number moved.
     */
    public int receive(DatagramBatch into) {
        into.clear();
        this.batch = into;
        this.batchUsed = 0;
        receiveRing.controlledRead(onReceived, into.capacity());
        this.batch = null;
        return into.count();
    }

    private ControlledMessageHandler.Action onReceived(int type, MutableDirectBuffer buffer, int index, int length) {
        int dataLength = length - RECORD_HEADER_LENGTH;
        long room = batch.buffer().byteSize() - batchUsed;
        if (dataLength > room) {
            if (batch.count() > 0) {
                return ControlledMessageHandler.Action.ABORT;
            }
            dataLength = (int) room;
        }
        MemorySegment.copy(receiveMemory, index + RECORD_HEADER_LENGTH, batch.buffer(), batchUsed, dataLength);
        lastSourceAddress = buffer.getInt(index + RECORD_ADDRESS_OFFSET);
        lastSourcePort = buffer.getInt(index + RECORD_PORT_OFFSET);
        int slot = batch.count();
        SockAddr.writeIpv4(batch.names(), slot * DatagramBatch.NAME_BYTES, lastSourceAddress, lastSourcePort);
        batch.add(batchUsed, dataLength, slot);
        batchUsed += dataLength;
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** Source address of the last datagram {@link #receive} returned. */
    public int lastSourceAddress() {
        return lastSourceAddress;
    }

    public int lastSourcePort() {
        return lastSourcePort;
    }

    // ---- stack thread ---------------------------------------------------------------------------------------------

    /** An address and port as one value, for comparing with {@link #connectedPeer()}. */
    static long peerKey(int address, int port) {
        return ((long) address << 32) | (port & 0xffff);
    }

    /** The peer this socket is connected to, as a {@link #peerKey}, or {@link #NO_PEER}. */
    long connectedPeer() {
        return peer;
    }

    /** Queues a received datagram for the user; false when the receive ring is full. */
    boolean deliver(int source, int sourcePort, DirectBuffer buffer, int offset, int length) {
        if (RECORD_HEADER_LENGTH + length > receiveRing.maxMsgLength()) {
            return false;
        }
        int index = receiveRing.tryClaim(MESSAGE_TYPE, RECORD_HEADER_LENGTH + length);
        if (index < 0) {
            return false;
        }
        MutableDirectBuffer ring = receiveRing.buffer();
        ring.putInt(index + RECORD_ADDRESS_OFFSET, source);
        ring.putInt(index + RECORD_PORT_OFFSET, sourcePort);
        ring.putBytes(index + RECORD_HEADER_LENGTH, buffer, offset, length);
        receiveRing.commit(index);
        return true;
    }

    /**
     * Turns queued datagrams into packets until the queue is empty, {@code limit} went out, or the IP layer has no
     * room (the rest wait in the ring). Returns the number sent.
     */
    int flush(long nowNanos, IpOutput output, int limit) {
        this.out = output;
        this.now = nowNanos;
        this.sent = 0;
        sendRing.controlledRead(onSend, limit);
        this.out = null;
        return sent;
    }

    private ControlledMessageHandler.Action onSend(int type, MutableDirectBuffer buffer, int index, int length) {
        int dataLength = length - RECORD_HEADER_LENGTH;
        int destination = buffer.getInt(index + RECORD_ADDRESS_OFFSET);
        int l4Length = UdpDatagram.HEADER_LENGTH + dataLength;
        int l4 = out.claim(destination, Ipv4Packet.PROTOCOL_UDP, l4Length);
        if (l4 == IpOutput.NO_ROUTE) {
            // Counted by the interface; dropped, or it would block the queue and be retried at every flush.
            return ControlledMessageHandler.Action.CONTINUE;
        }
        if (l4 == IpOutput.NO_ROOM) {
            return ControlledMessageHandler.Action.ABORT;
        }
        MutableDirectBuffer packet = out.buffer();
        packet.putBytes(l4 + UdpDatagram.HEADER_LENGTH, buffer, index + RECORD_HEADER_LENGTH, dataLength);
        datagramOut.wrapForWrite(packet, l4, l4Length)
                .fill(localPort, buffer.getInt(index + RECORD_PORT_OFFSET))
                .fillChecksum(out.sourceAddress(), destination);
        out.commit(now, l4);
        sent++;
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** Bytes waiting in the send ring (any thread). */
    public int sendQueued() {
        return sendRing.size();
    }

    static int ringBytesFor(int requested) {
        int bytes = Math.max(requested, 64 * 1024);
        return bytes > (1 << 30) ? 1 << 30 : Integer.highestOneBit(bytes - 1) << 1;
    }
}
