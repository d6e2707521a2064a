package dev.tapir.engine.stack.iface;

import dev.tapir.engine.stack.ip.IpOutput;
import dev.tapir.engine.stack.ip.Ipv4PayloadHandler;
import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.phy.DeviceOffloads;
import dev.tapir.engine.stack.phy.FrameHandler;
import dev.tapir.engine.stack.stats.LiveCounters;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.wire.ArpPacket;
import dev.tapir.engine.stack.wire.Checksum;
import dev.tapir.engine.stack.wire.EthernetFrame;
import dev.tapir.engine.stack.wire.Icmpv4Message;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.stack.wire.Ipv4Packet;
import dev.tapir.engine.stack.wire.MacAddress;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One Ethernet interface of a stack: takes frames from the device, answers ARP and ICMP echo, validates IPv4 and hands
 * UDP and TCP payloads to their layers; on the way out it is the {@link IpOutput} of those layers, filling the IPv4
 * and Ethernet headers in place and resolving the next hop. Every received frame ends in one outcome counter of
 * {@link StackCounter}; malformed input is counted and dropped, never thrown. IP fragments are counted and dropped
 * (this stack sends with Don't Fragment and sizes segments to the MTU, so a peer that does the same never fragments).
 * Frames larger than the MTU are accepted when the device hands them up (a peer's TSO super-frames, GRO); their L4
 * checksum is left unchecked when the device's frame flags vouch for it. On the way out, a device with offloads takes
 * partial TCP checksums and TCP super-frames ({@link #offloadTcp}). Stack thread only.
 */
public final class Interface implements FrameHandler, IpOutput {
    public static final int TIME_TO_LIVE = 64;
    private static final int IP_IN_FRAME = EthernetFrame.HEADER_LENGTH;
    private static final int L4_IN_FRAME = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
    private static final int ARP_FRAME_LENGTH = EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH;
    /** Where TCP keeps its checksum in its header (RFC 9293 §3.1). */
    private static final int TCP_CHECKSUM_FIELD = 16;
    private static final int MAX_IPV4_TOTAL_LENGTH = 0xffff;

    private final Device device;
    private final InterfaceConfig config;
    private final long mac;
    private final int address;
    private final int directedBroadcast;
    private final LiveCounters<StackCounter> counters;
    private final ArpCache arpCache;
    private final int maxL4Length;
    /** Largest L4 part of a TCP super-frame the device segments; {@link #maxL4Length} without TSO. */
    private final int maxSuperL4Length;
    private final boolean checksumOffload;

    private final EthernetFrame ethernet = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ipv4 = new Ipv4Packet();
    private final Icmpv4Message icmp = new Icmpv4Message();
    private final EthernetFrame ethernetOut = new EthernetFrame();
    private final ArpPacket arpOut = new ArpPacket();
    private final Ipv4Packet ipv4Out = new Ipv4Packet();
    private final Icmpv4Message icmpOut = new Icmpv4Message();

    private Ipv4PayloadHandler udpHandler;
    private Ipv4PayloadHandler tcpHandler;
    private long now;
    private int identification;

    public Interface(Device device, InterfaceConfig config, ArpCache.Settings arpSettings,
            LiveCounters<StackCounter> counters) {
        this.device = device;
        this.config = config;
        this.mac = config.macAddress();
        this.address = config.address();
        this.directedBroadcast = config.directedBroadcast();
        this.counters = counters;
        this.arpCache = new ArpCache(arpSettings, device.mtu() + EthernetFrame.HEADER_LENGTH, counters);
        DeviceOffloads offloads = device.offloads();
        this.maxL4Length = device.mtu() - Ipv4Packet.MIN_HEADER_LENGTH;
        this.maxSuperL4Length = offloads.tcpSegmentation()
                ? Math.min(offloads.maxSuperFrame() - IP_IN_FRAME, MAX_IPV4_TOTAL_LENGTH) - Ipv4Packet.MIN_HEADER_LENGTH
                : maxL4Length;
        this.checksumOffload = offloads.transmitChecksumPartial();
    }

    /** Where UDP payloads go (the UDP layer checks their checksum). */
    public void udpHandler(Ipv4PayloadHandler handler) {
        this.udpHandler = handler;
    }

    /** Where TCP segments go (the TCP layer checks their checksum and counts what it drops). */
    public void tcpHandler(Ipv4PayloadHandler handler) {
        this.tcpHandler = handler;
    }

    public InterfaceConfig config() {
        return config;
    }

    public ArpCache arpCache() {
        return arpCache;
    }

    public LiveCounters<StackCounter> counters() {
        return counters;
    }

    public Device device() {
        return device;
    }

    /** Sets the clock for what follows (sends by the transports) without receiving. */
    public void advanceClock(long nowNanos) {
        this.now = nowNanos;
    }

    /**
     * Receives and dispatches up to {@code limit} frames, then sends due ARP requests and gives up on neighbours that
     * never answered. Returns the work done.
     */
    public int poll(long nowNanos, int limit) {
        this.now = nowNanos;
        int work = device.receive(nowNanos, this, limit);
        if (arpCache.pendingEntries() > 0) {
            work += serviceArp(nowNanos);
        }
        return work;
    }

    private int serviceArp(long nowNanos) {
        int work = 0;
        for (int entry = 0; entry < arpCache.capacity(); entry++) {
            if (arpCache.stateOf(entry) != ArpCache.PENDING) {
                continue;
            }
            if (arpCache.requestDue(entry, nowNanos)) {
                sendArpRequest(arpCache.addressOf(entry));
                work++;
            } else if (arpCache.givenUp(entry, nowNanos)) {
                counters.add(StackCounter.ARP_UNRESOLVED_DROPPED, arpCache.free(entry));
                work++;
            }
        }
        return work;
    }

    @Override
    public void onFrame(DirectBuffer buffer, int offset, int length, int flags) {
        counters.increment(StackCounter.FRAMES_RECEIVED);
        if (!ethernet.wrap(buffer, offset, length)) {
            counters.increment(StackCounter.ETHERNET_TRUNCATED);
            return;
        }
        long destination = ethernet.destination();
        if (destination != mac && destination != MacAddress.BROADCAST) {
            counters.increment(StackCounter.ETHERNET_NOT_FOR_US);
            return;
        }
        int etherType = ethernet.etherType();
        if (etherType == EthernetFrame.ETHER_TYPE_IPV4) {
            onIpv4(buffer, ethernet.payloadOffset(), ethernet.payloadLength(), FrameHandler.checksumTrusted(flags));
        } else if (etherType == EthernetFrame.ETHER_TYPE_ARP) {
            onArp(buffer, ethernet.payloadOffset(), ethernet.payloadLength());
        } else {
            counters.increment(StackCounter.ETHERNET_UNKNOWN_TYPE);
        }
    }

    private void onArp(DirectBuffer buffer, int offset, int length) {
        if (!arp.wrap(buffer, offset, length) || !arp.isIpv4OverEthernet()) {
            counters.increment(StackCounter.ARP_MALFORMED);
            return;
        }
        long senderMac = arp.senderHardwareAddress();
        int senderAddress = arp.senderProtocolAddress();
        if (senderMac == MacAddress.UNRESOLVED || MacAddress.isGroup(senderMac) || senderAddress == address
                || senderAddress == Ipv4Address.BROADCAST) {
            counters.increment(StackCounter.ARP_MALFORMED);
            return;
        }
        boolean forUs = arp.targetProtocolAddress() == address;
        if (senderAddress != Ipv4Address.ANY) {
            int known = arpCache.find(senderAddress);
            boolean wasPending = known >= 0 && arpCache.isPending(known);
            int entry = arpCache.learn(senderAddress, senderMac, now, forUs);
            if (wasPending) {
                sendPending(entry);
            }
        }
        if (!forUs) {
            counters.increment(StackCounter.ARP_NOT_FOR_US);
        } else if (arp.operation() == ArpPacket.OPERATION_REQUEST) {
            answerArp(senderMac, senderAddress);
        } else {
            counters.increment(StackCounter.ARP_REPLY_RECEIVED);
        }
    }

    private void answerArp(long requesterMac, int requesterAddress) {
        int frame = device.claim(ARP_FRAME_LENGTH);
        if (frame < 0) {
            counters.increment(StackCounter.ARP_REPLY_UNSENT);
            return;
        }
        MutableDirectBuffer tx = device.transmitBuffer();
        ethernetOut.wrapForWrite(tx, frame, ARP_FRAME_LENGTH).destination(requesterMac).source(mac)
                .etherType(EthernetFrame.ETHER_TYPE_ARP);
        arpOut.wrapForWrite(tx, frame + EthernetFrame.HEADER_LENGTH)
                .fill(ArpPacket.OPERATION_REPLY, mac, address, requesterMac, requesterAddress);
        device.commit(now, frame);
        counters.increment(StackCounter.FRAMES_SENT);
        counters.increment(StackCounter.ARP_REQUEST_ANSWERED);
    }

    /**
     * Broadcasts an ARP announcement (RFC 5227: a request whose sender and target are our own address). Neighbours that
     * cached another MAC for our address, such as the random one of an earlier run on the same tap, update their entry
     * instead of sending to a MAC nobody answers until their entry times out. Stack thread.
     */
    public void announce() {
        sendArpRequest(address);
    }

    private void sendArpRequest(int target) {
        int frame = device.claim(ARP_FRAME_LENGTH);
        if (frame < 0) {
            // The retry interval sends the next one.
            counters.increment(StackCounter.IPV4_LINK_FULL);
            return;
        }
        MutableDirectBuffer tx = device.transmitBuffer();
        ethernetOut.wrapForWrite(tx, frame, ARP_FRAME_LENGTH).destination(MacAddress.BROADCAST).source(mac)
                .etherType(EthernetFrame.ETHER_TYPE_ARP);
        arpOut.wrapForWrite(tx, frame + EthernetFrame.HEADER_LENGTH)
                .fill(ArpPacket.OPERATION_REQUEST, mac, address, MacAddress.UNRESOLVED, target);
        device.commit(now, frame);
        counters.increment(StackCounter.FRAMES_SENT);
        counters.increment(StackCounter.ARP_REQUESTS_SENT);
    }

    /** Sends the frames that waited for {@code entry}'s MAC; those the link has no room for now are dropped. */
    private void sendPending(int entry) {
        long neighbour = arpCache.macOf(entry);
        DirectBuffer pending = arpCache.pendingBuffer();
        int count = arpCache.pendingCount(entry);
        MutableDirectBuffer tx = device.transmitBuffer();
        for (int k = 0; k < count; k++) {
            int length = arpCache.pendingFrameLength(entry, k);
            int frame = device.claim(length);
            if (frame < 0) {
                counters.add(StackCounter.IPV4_LINK_FULL, count - k);
                break;
            }
            tx.putBytes(frame, pending, arpCache.pendingFrameOffset(entry, k), length);
            MacAddress.put(tx, frame + EthernetFrame.DESTINATION_OFFSET, neighbour);
            device.commit(now, frame);
            counters.increment(StackCounter.FRAMES_SENT);
            counters.increment(StackCounter.IPV4_SENT);
        }
        arpCache.clearPending(entry);
    }

    private void onIpv4(DirectBuffer buffer, int offset, int length, boolean checksumTrusted) {
        if (!ipv4.wrap(buffer, offset, length)) {
            counters.increment(StackCounter.IPV4_BAD_LENGTH);
            return;
        }
        switch (ipv4.validate()) {
            case Ipv4Packet.VALID -> {
            }
            case Ipv4Packet.BAD_VERSION -> {
                counters.increment(StackCounter.IPV4_BAD_VERSION);
                return;
            }
            case Ipv4Packet.BAD_HEADER_CHECKSUM -> {
                counters.increment(StackCounter.IPV4_BAD_HEADER_CHECKSUM);
                return;
            }
            default -> {
                counters.increment(StackCounter.IPV4_BAD_LENGTH);
                return;
            }
        }
        int source = ipv4.source();
        // A source must name one host (RFC 1122 §3.2.1.3): not broadcast, multicast, "this host" or our own address.
        if (source == Ipv4Address.ANY || source == Ipv4Address.BROADCAST || (source >>> 28) == 0xe
                || source == address || source == directedBroadcast) {
            counters.increment(StackCounter.IPV4_BAD_SOURCE);
            return;
        }
        int destination = ipv4.destination();
        boolean unicast = destination == address;
        if (!unicast && destination != Ipv4Address.BROADCAST && destination != directedBroadcast) {
            counters.increment(StackCounter.IPV4_NOT_FOR_US);
            return;
        }
        if (ipv4.isFragment()) {
            counters.increment(StackCounter.IPV4_FRAGMENT_DROPPED);
            return;
        }
        int payloadOffset = ipv4.payloadOffset();
        int payloadLength = ipv4.payloadLength();
        switch (ipv4.protocol()) {
            case Ipv4Packet.PROTOCOL_UDP -> {
                if (udpHandler == null) {
                    counters.increment(StackCounter.UDP_NO_SOCKET);
                } else {
                    udpHandler.onPayload(now, source, destination, buffer, payloadOffset, payloadLength,
                            checksumTrusted);
                }
            }
            case Ipv4Packet.PROTOCOL_TCP -> {
                if (!unicast) {
                    counters.increment(StackCounter.IPV4_NOT_FOR_US);
                } else {
                    onTcp(source, destination, buffer, payloadOffset, payloadLength, checksumTrusted);
                }
            }
            case Ipv4Packet.PROTOCOL_ICMP -> onIcmp(source, unicast, buffer, payloadOffset, payloadLength);
            default -> counters.increment(StackCounter.IPV4_UNKNOWN_PROTOCOL);
        }
    }

    private void onTcp(int source, int destination, DirectBuffer buffer, int offset, int length,
            boolean checksumTrusted) {
        if (tcpHandler == null) {
            counters.increment(StackCounter.IPV4_UNKNOWN_PROTOCOL);
            return;
        }
        counters.increment(StackCounter.TCP_DELIVERED);
        tcpHandler.onPayload(now, source, destination, buffer, offset, length, checksumTrusted);
    }

    private void onIcmp(int source, boolean unicast, DirectBuffer buffer, int offset, int length) {
        if (!icmp.wrap(buffer, offset, length)) {
            counters.increment(StackCounter.ICMP_MALFORMED);
            return;
        }
        if (!icmp.checksumValid()) {
            counters.increment(StackCounter.ICMP_BAD_CHECKSUM);
            return;
        }
        if (!unicast || icmp.type() != Icmpv4Message.TYPE_ECHO_REQUEST || icmp.code() != 0) {
            counters.increment(StackCounter.ICMP_OTHER);
            return;
        }
        // A request larger than our MTU (a device may hand up bigger frames) gets no reply: we never fragment.
        int l4 = length > maxL4Length(source) ? NO_ROOM : claim(source, Ipv4Packet.PROTOCOL_ICMP, length);
        if (l4 < 0) {
            counters.increment(StackCounter.ICMP_ECHO_UNANSWERED);
            return;
        }
        // The reply is the request with its type changed (RFC 792): copy, then patch type and checksum.
        MutableDirectBuffer tx = device.transmitBuffer();
        tx.putBytes(l4, buffer, offset, length);
        icmpOut.wrapForWrite(tx, l4, length).changeType(Icmpv4Message.TYPE_ECHO_REPLY);
        commit(now, l4);
        counters.increment(StackCounter.ICMP_ECHO_ANSWERED);
    }

    // ---- IpOutput -------------------------------------------------------------------------------------------------

    @Override
    public int claim(int destination, int protocol, int l4Length) {
        if (l4Length < 0 || l4Length > maxSuperL4Length) {
            throw new IllegalArgumentException("L4 length " + l4Length + " does not fit the MTU " + device.mtu()
                    + (maxSuperL4Length > maxL4Length ? " nor a super-frame" : ""));
        }
        long neighbour;
        if (destination == Ipv4Address.BROADCAST || destination == directedBroadcast) {
            neighbour = MacAddress.BROADCAST;
        } else {
            int nextHop = nextHop(destination);
            if (nextHop == Ipv4Address.ANY) {
                counters.increment(StackCounter.IPV4_NO_ROUTE);
                return NO_ROUTE;
            }
            neighbour = arpCache.lookup(nextHop, now);
            if (neighbour == MacAddress.UNRESOLVED) {
                int entry = arpCache.find(nextHop);
                if (entry < 0 || !arpCache.isPending(entry)) {
                    entry = arpCache.startResolution(nextHop, now);
                    sendArpRequest(nextHop);
                }
                if (arpCache.pendingQueueFull(entry)) {
                    counters.increment(StackCounter.ARP_PENDING_OVERFLOW);
                    return NO_ROOM;
                }
            }
        }
        int frameLength = L4_IN_FRAME + l4Length;
        int frame = device.claim(frameLength);
        if (frame < 0) {
            counters.increment(StackCounter.IPV4_LINK_FULL);
            return NO_ROOM;
        }
        MutableDirectBuffer tx = device.transmitBuffer();
        // An unresolved neighbour leaves the all-zero MAC, which commit recognises and queues the frame for ARP.
        ethernetOut.wrapForWrite(tx, frame, frameLength).destination(neighbour).source(mac)
                .etherType(EthernetFrame.ETHER_TYPE_IPV4);
        ipv4Out.wrapForWrite(tx, frame + IP_IN_FRAME, Ipv4Packet.MIN_HEADER_LENGTH + l4Length)
                .fill(Ipv4Packet.MIN_HEADER_LENGTH + l4Length, identification++, TIME_TO_LIVE, protocol, address,
                        destination);
        return frame + L4_IN_FRAME;
    }

    /** The neighbour a packet to {@code destination} goes to, or {@link Ipv4Address#ANY} when there is no route. */
    private int nextHop(int destination) {
        if (config.isOnLink(destination)) {
            return destination;
        }
        return config.gateway();
    }

    @Override
    public int sourceAddress() {
        return address;
    }

    @Override
    public MutableDirectBuffer buffer() {
        return device.transmitBuffer();
    }

    @Override
    public void commit(long nowNanos, int l4Offset) {
        int frame = l4Offset - L4_IN_FRAME;
        MutableDirectBuffer tx = device.transmitBuffer();
        if (MacAddress.get(tx, frame + EthernetFrame.DESTINATION_OFFSET) != MacAddress.UNRESOLVED) {
            device.commit(nowNanos, frame);
            counters.increment(StackCounter.FRAMES_SENT);
            counters.increment(StackCounter.IPV4_SENT);
            return;
        }
        int nextHop = nextHop(tx.getInt(frame + IP_IN_FRAME + Ipv4Packet.DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN));
        long neighbour = arpCache.lookup(nextHop, now);
        if (neighbour != MacAddress.UNRESOLVED) {
            // Resolved since the claim (a reply was received in between).
            MacAddress.put(tx, frame + EthernetFrame.DESTINATION_OFFSET, neighbour);
            device.commit(nowNanos, frame);
            counters.increment(StackCounter.FRAMES_SENT);
            counters.increment(StackCounter.IPV4_SENT);
            return;
        }
        int entry = arpCache.find(nextHop);
        int frameLength = IP_IN_FRAME
                + (tx.getShort(frame + IP_IN_FRAME + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff);
        if (entry < 0 || !arpCache.isPending(entry) || !arpCache.enqueue(entry, tx, frame, frameLength)) {
            counters.increment(StackCounter.ARP_PENDING_OVERFLOW);
        }
        device.abort(frame);
    }

    @Override
    public void abort(int l4Offset) {
        device.abort(l4Offset - L4_IN_FRAME);
    }

    @Override
    public int maxL4Length(int destination) {
        return maxL4Length;
    }

    @Override
    public int maxTcpOffloadLength(int destination) {
        if (maxSuperL4Length == maxL4Length || destination == Ipv4Address.BROADCAST
                || destination == directedBroadcast) {
            return maxL4Length;
        }
        int nextHop = nextHop(destination);
        return nextHop != Ipv4Address.ANY && arpCache.lookup(nextHop, now) != MacAddress.UNRESOLVED
                ? maxSuperL4Length : maxL4Length;
    }

    @Override
    public boolean checksumOffload() {
        return checksumOffload;
    }

    @Override
    public void offloadTcp(int l4Offset, int tcpHeaderLength, int segmentSize) {
        int frame = l4Offset - L4_IN_FRAME;
        MutableDirectBuffer tx = device.transmitBuffer();
        if (MacAddress.get(tx, frame + EthernetFrame.DESTINATION_OFFSET) != MacAddress.UNRESOLVED) {
            device.offloadTransmit(frame, L4_IN_FRAME, TCP_CHECKSUM_FIELD, L4_IN_FRAME + tcpHeaderLength,
                    segmentSize);
            return;
        }
        // Bound for the ARP queue, which keeps bare frames: finish the checksum here (the field's pseudo-header sum
        // is part of the sum). A super-frame never gets here: maxTcpOffloadLength withholds TSO until resolved.
        int ip = frame + IP_IN_FRAME;
        int l4Length = (tx.getShort(ip + Ipv4Packet.TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff)
                - Ipv4Packet.MIN_HEADER_LENGTH;
        int sum = Checksum.compute(tx, l4Offset, l4Length);
        tx.putShort(l4Offset + TCP_CHECKSUM_FIELD, (short) sum, ByteOrder.BIG_ENDIAN);
    }
}
