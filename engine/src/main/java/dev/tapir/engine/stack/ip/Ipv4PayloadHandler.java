package dev.tapir.engine.stack.ip;

import org.agrona.DirectBuffer;

/**
 * Takes the L4 part of a validated IPv4 packet addressed to this stack: {@code buffer[offset, offset + length)}, valid
 * only during the call. The interface has checked the IPv4 header; the L4 checksum is the handler's to check unless
 * {@code checksumTrusted} (the device vouched for it or the packet carries a partial checksum from this host).
 */
@FunctionalInterface
public interface Ipv4PayloadHandler {
    void onPayload(long nowNanos, int source, int destination, DirectBuffer buffer, int offset, int length,
            boolean checksumTrusted);
}
