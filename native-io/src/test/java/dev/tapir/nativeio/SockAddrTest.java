package dev.tapir.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class SockAddrTest {
    private final MemorySegment sa = Arena.ofAuto().allocate(SockAddr.SOCKADDR_STORAGE);

    @Test
    void ipv4WrittenWithoutAllocationReadsBack() throws Exception {
        sa.fill((byte) 0x5a);
        SockAddr.writeIpv4(sa, 0, 0xc0a87a14, 5001);
        assertEquals(new InetSocketAddress(InetAddress.getByName("192.168.122.20"), 5001), SockAddr.read(sa));
        assertEquals(0, sa.get(ValueLayout.JAVA_LONG_UNALIGNED, 8), "sin_zero cleared");
        assertEquals(key(new InetSocketAddress(InetAddress.getByName("192.168.122.20"), 5001)), SockAddr.key(sa, 0));
    }

    @Test
    void keysTellSendersApartAndAnIpv4MappedAddressFromItsIpv4Form() throws Exception {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        InetAddress v6 = InetAddress.getByName("::1");
        InetAddress other6 = InetAddress.getByName("2001:db8::1");
        long plain = key(new InetSocketAddress(v4, 40000));
        assertEquals(plain, keyOfSockaddrIn6(mapped, 40000), "v4-mapped = IPv4");
        assertNotEquals(plain, key(new InetSocketAddress(v4, 40001)));
        assertNotEquals(plain, key(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 40000)));
        long six = key(new InetSocketAddress(v6, 40000));
        assertNotEquals(plain, six);
        assertNotEquals(six, key(new InetSocketAddress(v6, 40001)));
        assertNotEquals(six, key(new InetSocketAddress(other6, 40000)));
        assertEquals(six, key(new InetSocketAddress(v6, 40000)));
        sa.fill((byte) 0);
        assertEquals(0, SockAddr.key(sa, 0), "AF_UNSPEC");
    }

    private long key(InetSocketAddress address) {
        SockAddr.write(sa, address);
        return SockAddr.key(sa, 0);
    }

    /** A sockaddr_in6 of these 16 bytes, as a dual-stack socket reports an IPv4 sender (InetAddress would make it IPv4). */
    private long keyOfSockaddrIn6(byte[] address, int port) {
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) SockAddr.AF_INET6);
        sa.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2,
                (short) port);
        MemorySegment.copy(MemorySegment.ofArray(address), 0, sa, 8, 16);
        return SockAddr.key(sa, 0);
    }
}
