package dev.tapir.tools.jmh;

import dev.tapir.engine.stack.tcp.TcpOptions;
import dev.tapir.engine.stack.tcp.TcpSegment;
import dev.tapir.engine.stack.wire.EthernetFrame;
import dev.tapir.engine.stack.wire.Ipv4Packet;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Header work per TCP frame through the wire flyweights, without the payload: {@link #emit} writes Ethernet, IPv4 (with
 * its header checksum) and a TCP header with the timestamp option and the TCP header's checksum, as the stack does for
 * each segment; {@link #parse} reads one back the way the receive path does (Ethernet type, IPv4 validation with its
 * checksum, TCP fields and options). The payload's share of the checksum is {@link ChecksumBenchmark}'s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {Settings.NATIVE_ACCESS, Settings.AGRONA_UNSAFE})
public class HeaderBenchmark {
    static final int SOURCE = 0x0a000002;
    static final int DESTINATION = 0x0a000001;
    static final int IP_OFFSET = EthernetFrame.HEADER_LENGTH;
    static final int TCP_OFFSET = IP_OFFSET + Ipv4Packet.MIN_HEADER_LENGTH;

    private final EthernetFrame ethernet = new EthernetFrame();
    private final Ipv4Packet ipv4 = new Ipv4Packet();
    private final TcpSegment tcp = new TcpSegment();
    private final TcpOptions options = new TcpOptions();
    private UnsafeBuffer emitted;
    private UnsafeBuffer received;
    private int sequence;

    @Setup
    public void frames() {
        emitted = new UnsafeBuffer(BufferUtil.allocateDirectAligned(128, 64));
        received = new UnsafeBuffer(BufferUtil.allocateDirectAligned(128, 64));
        emit();
        received.putBytes(0, emitted, 0, frameLength());
    }

    /** Length of the frame {@link #emit} builds: headers, the 12-byte timestamp option, no payload. */
    int frameLength() {
        return TCP_OFFSET + TcpSegment.HEADER_LENGTH + 12;
    }

    @Benchmark
    public int emit() {
        TcpOptions o = options.clear();
        o.timestamps = true;
        o.tsVal = sequence;
        o.tsEcr = 12345;
        int tcpLength = TcpSegment.HEADER_LENGTH + o.length();
        int ipLength = Ipv4Packet.MIN_HEADER_LENGTH + tcpLength;
        int frameLength = EthernetFrame.HEADER_LENGTH + ipLength;
        ethernet.wrapForWrite(emitted, 0, frameLength).destination(0x02_00_00_00_00_01L).source(0x02_00_00_00_00_02L)
                .etherType(EthernetFrame.ETHER_TYPE_IPV4);
        ipv4.wrapForWrite(emitted, IP_OFFSET, ipLength)
                .fill(ipLength, sequence, 64, Ipv4Packet.PROTOCOL_TCP, SOURCE, DESTINATION);
        TcpSegment s = tcp.wrapForWrite(emitted, TCP_OFFSET, tcpLength)
                .sourcePort(49152)
                .destinationPort(5201)
                .sequenceNumber(sequence++)
                .acknowledgmentNumber(7)
                .headerLength(tcpLength)
                .flags(TcpSegment.ACK)
                .window(512)
                .urgentPointer(0);
        s.writeOptions(o);
        s.computeChecksum(SOURCE, DESTINATION);
        return frameLength;
    }

    /** Returns a sum of the fields read, so nothing can be optimised away; -1 if any check failed. */
    @Benchmark
    public long parse() {
        if (!ethernet.wrap(received, 0, frameLength()) || ethernet.etherType() != EthernetFrame.ETHER_TYPE_IPV4) {
            return -1;
        }
        if (!ipv4.wrap(received, ethernet.payloadOffset(), ethernet.payloadLength())
                || ipv4.validate() != Ipv4Packet.VALID || ipv4.isFragment()) {
            return -1;
        }
        if (!tcp.wrap(received, ipv4.payloadOffset(), ipv4.payloadLength())
                || !tcp.checksumValid(ipv4.source(), ipv4.destination()) || !tcp.parseOptions(options)) {
            return -1;
        }
        return (long) tcp.sourcePort() + tcp.destinationPort() + tcp.sequenceNumber() + tcp.acknowledgmentNumber()
                + tcp.flags() + tcp.window() + tcp.payloadLength() + options.tsVal + options.tsEcr;
    }
}
