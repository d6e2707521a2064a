/**
 * tapir's userspace TCP/IP stack, one folder per layer: {@code phy} (devices that lend frame buffers: the memory link,
 * and the fault injector and pcap writer that wrap any device), {@code wire} (flyweights over each header),
 * {@code iface} (Ethernet dispatch, ARP, IPv4 in and out, ICMP echo), {@code udp} and {@code tcp} (sockets), and here
 * the {@link dev.tapir.engine.stack.NetworkStack} agent that drives them and the
 * {@link dev.tapir.engine.stack.UserspaceTransport} seam.
 *
 * <p>Not implemented: IPv6; IP fragmentation and reassembly (fragments are counted and dropped; the stack sends
 * with Don't Fragment and sizes packets to the MTU); IP options on output (accepted and skipped on input); ICMP
 * errors (no port or protocol unreachable is sent, and none is acted upon, so no path-MTU discovery); multicast;
 * routing beyond one on-link prefix and one gateway; ARP probes of our own address (a
 * {@link dev.tapir.engine.stack.TapStack} sends one ARP announcement when it starts).
 */
package dev.tapir.engine.stack;
