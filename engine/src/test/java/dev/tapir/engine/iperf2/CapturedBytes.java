package dev.tapir.engine.iperf2;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/** Bytes captured from real iperf 2.1.8 on loopback (/work/shared/reference/iperf-wire.md, part A and §6.1, §7). */
final class CapturedBytes {
    /** Payload bytes 0..0x43 of data datagram 1 of `iperf -c -u -l 1470 -b 10M -t 2`; 0x44..0x9f are zero. */
    static final String UDP_DATAGRAM_1_HEAD = """
            00000001 6b0a2b5c 0004815c 00000000 48010098 00000001 00001389 000005be
            00000000 ffffff38 00000000 00000000 00000000 00020001 00080003 00000000
            00a00000""";
    /** The same test's FIN: id −1787, id2 all ones, stop time; the rest equals the data datagrams. */
    static final String UDP_FIN_HEAD = """
            fffff905 6b0a2b5e 00048963 ffffffff 48010098 00000001 00001389 000005be
            00000000 ffffff38 00000000 00000000 00000000 00020001 00080003 00000000
            00a00000""";
    /** That test's 128-byte server report (1787 datagrams). */
    static final String REPORT_2S = """
            00000000 00000000 00000000 00000000 88000000 00000000 0028154a 00000002
            000007ad 00000000 00000000 000006fb 00000000 00000001 00000000 00000002
            00000000 0000005c 00000000 0000133c 00000000 00000002 00003150 00020c9f
            00000000 00000000 000006fb 0000037c 00000001 00000000 00000000 00000000""";
    /** §6.1: report to a 2.1.8 client (92 data + FIN −93). */
    static final String REPORT_93 = """
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            88 00 00 00 00 00 00 00 00 02 16 06 00 00 00 01
            00 00 51 75 00 00 00 00 00 00 00 00 00 00 00 5d
            00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 04
            00 00 00 00 00 00 00 35 00 00 00 00 00 00 03 11
            00 00 00 00 00 00 00 08 00 00 19 06 00 0e 1c 3b
            00 00 00 00 ff ff ff fd 00 00 00 5d 00 00 00 5b
            00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00""";
    /** §7: report to 12-byte-header datagrams (100 data + FIN −101). */
    static final String REPORT_OLD_HEADER = """
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            88 00 00 00 00 00 00 00 00 02 43 f6 00 00 00 00
            00 01 ae 33 00 00 00 00 00 00 00 00 00 00 00 65
            00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 06
            00 00 00 00 00 00 00 aa 00 00 00 00 00 00 03 d3
            00 00 00 00 00 00 00 09 00 00 68 7f 00 01 5c 14
            00 00 00 00 00 00 00 10 00 00 00 65 00 00 03 95
            00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00""";
    /** The 60-byte first write of `iperf -c 127.0.0.1 -t 1` (TCP). */
    static final String TCP_HEADER = """
            40 01 00 78 00 00 00 01 00 00 13 89 00 00 00 00
            00 00 00 00 ff ff ff 9c 00 00 00 00 00 00 00 00
            00 00 00 00 00 02 00 01 00 08 00 03 00 00 00 00
            00 00 00 00 00 00 00 00 00 00 00 00""";
    /** The 28 bytes the 2.1.8 server answers a TCP client with. */
    static final String CLIENT_HEADER_ACK = """
            00 00 00 02 00 00 00 1c 00 00 00 00 00 02 00 01
            00 08 00 03 00 00 00 00 00 00 00 00""";

    private CapturedBytes() {
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s+", ""));
    }

    /** An off-heap copy of {@code hex}, {@code padTo} bytes long (zero fill after the captured bytes). */
    static MemorySegment segment(Arena arena, String hex, int padTo) {
        byte[] b = bytes(hex);
        MemorySegment s = arena.allocate(Math.max(padTo, b.length));
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }
}
