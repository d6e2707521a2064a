package dev.tapir.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NetlinkTest {
    private static final int TAP = Tun.IFF_TAP | Tun.IFF_NO_PI;
    private static final int LAB_ADDRESS = 0xc0a87a01; // 192.168.122.1

    private TestNetns ns;

    @BeforeEach
    void createNamespace() throws Exception {
        ns = TestNetns.create();
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        ns.close();
    }

    @Test
    void bridgeWithEnslavedTapsJumboMtuUpAndAddress() throws Exception {
        ns.call(() -> {
            try (Netlink nl = Netlink.open(); Tun tap0 = Tun.open("tnl0", TAP, true);
                    Tun tap1 = Tun.open("tnl1", TAP, true)) {
                assertEquals(List.of("tnl0", "tnl1"), List.of(tap0.name(), tap1.name()));
                nl.createBridge("tnlbr0");
                int bridge = Netlink.indexOf("tnlbr0");
                for (String port : List.of("tnl0", "tnl1")) {
                    int index = Netlink.indexOf(port);
                    nl.setMaster(index, bridge);
                    nl.setMtu(index, 9000);
                    nl.setUp(index, true);
                }
                nl.setMtu(bridge, 9000);
                nl.addIpv4Address(bridge, LAB_ADDRESS, 24);
                nl.setUp(bridge, true);

                Netlink.Link br = nl.link("tnlbr0");
                assertEquals("bridge", br.kind());
                assertEquals(9000, br.mtu());
                assertTrue(br.isUp());
                for (String port : List.of("tnl0", "tnl1")) {
                    Netlink.Link link = nl.link(port);
                    assertEquals(bridge, link.master());
                    assertEquals(9000, link.mtu());
                    assertTrue(link.isUp());
                }
                assertEquals(List.of(new Netlink.Ipv4Address(bridge, LAB_ADDRESS, 24)), nl.ipv4Addresses(bridge));
                assertEquals("192.168.122.1/24", nl.ipv4Addresses(bridge).get(0).toString());
                assertTrue(nl.links().stream().anyMatch(l -> l.name().equals("tnl1") && l.master() == bridge));

                // The same facts as iproute2 sees them.
                String addr = ns.ip("-o", "-4", "addr", "show", "dev", "tnlbr0");
                assertTrue(addr.contains("inet 192.168.122.1/24 brd 192.168.122.255"), addr);
                String tapLink = ns.ip("-o", "link", "show", "dev", "tnl1");
                assertTrue(tapLink.contains("mtu 9000") && tapLink.contains("master tnlbr0")
                        && tapLink.contains(",UP"), tapLink);
                String bridgeDetails = ns.ip("-d", "-o", "link", "show", "dev", "tnlbr0");
                assertTrue(bridgeDetails.contains("forward_delay 0") && bridgeDetails.contains("stp_state 0")
                        && bridgeDetails.contains("mcast_snooping 0"), bridgeDetails);

                nl.setUp(bridge, false);
                assertTrue(!nl.link("tnlbr0").isUp());
                nl.setMaster(Netlink.indexOf("tnl0"), 0);
                assertEquals(0, nl.link("tnl0").master());
            }
            return null;
        });
    }

    @Test
    void failuresCarryRequestNameAndErrno() throws Exception {
        ns.call(() -> {
            try (Netlink nl = Netlink.open()) {
                nl.createBridge("tnlerr0");
                SyscallException exists = assertThrows(SyscallException.class, () -> nl.createBridge("tnlerr0"));
                assertEquals("RTM_NEWLINK", exists.call());
                assertEquals(Errno.EEXIST, exists.errno());

                int bridge = Netlink.indexOf("tnlerr0");
                nl.addIpv4Address(bridge, LAB_ADDRESS, 24);
                SyscallException twice = assertThrows(SyscallException.class,
                        () -> nl.addIpv4Address(bridge, LAB_ADDRESS, 24));
                assertEquals("RTM_NEWADDR", twice.call());
                assertEquals(Errno.EEXIST, twice.errno());

                SyscallException missing = assertThrows(SyscallException.class, () -> nl.deleteLink("tnlnone0"));
                assertEquals("RTM_DELLINK", missing.call());
                assertEquals(Errno.ENODEV, missing.errno());

                SyscallException badMtu = assertThrows(SyscallException.class, () -> nl.setMtu(bridge, 100_000));
                assertEquals(Errno.EINVAL, badMtu.errno());

                SyscallException noIndex = assertThrows(SyscallException.class, () -> Netlink.indexOf("tnlnone0"));
                assertEquals("if_nametoindex", noIndex.call());
                assertEquals(Errno.ENODEV, noIndex.errno());

                nl.deleteLink("tnlerr0");
                assertEquals(Errno.ENODEV,
                        assertThrows(SyscallException.class, () -> nl.link("tnlerr0")).errno());
            }
            return null;
        });
    }

    @Test
    void vethPairIsCreatedAndDeletedTogether() throws Exception {
        ns.call(() -> {
            try (Netlink nl = Netlink.open()) {
                nl.createVethPair("tveth0", "tveth1");
                assertEquals("veth", nl.link("tveth0").kind());
                assertEquals("veth", nl.link("tveth1").kind());
                nl.deleteLink("tveth0");
                assertEquals(Errno.ENODEV, assertThrows(SyscallException.class, () -> nl.link("tveth1")).errno());
            }
            return null;
        });
    }
}
