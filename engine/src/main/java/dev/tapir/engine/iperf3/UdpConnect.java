package dev.tapir.engine.iperf3;

/**
 * The 4-byte datagrams that open an iperf3 UDP stream. The client sends {@link #REQUEST}; the 3.12 server connects its
 * socket to whoever sent the first datagram (content unchecked) and answers {@link #REPLY}. The values are iperf3's
 * {@code UDP_CONNECT_MSG 0x36373839} and {@code UDP_CONNECT_REPLY 0x39383736} written in x86 byte order.
 */
final class UdpConnect {
    /** ASCII "9876". */
    static final int REQUEST = 0x39383736;
    /** ASCII "6789". */
    static final int REPLY = 0x36373839;
    /** What pre-3.1 servers replied, 987654321 in little-endian bytes; 3.12 clients accept it too. */
    static final int LEGACY_REPLY = 0xb168de3a;
    static final int LENGTH = 4;

    private UdpConnect() {
    }
}
