package dev.tapir.engine.transport;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The seam between a test and the network: the kernel's sockets, or tapir's userspace stack. Test logic talks only to
 * this interface and the channels it opens, never to sockets directly.
 */
public interface Transport extends AutoCloseable {
    /** A short name for reports: {@code kernel}, {@code userspace}. */
    String name();

    /** Opens a listening stream (TCP) endpoint; options apply to every accepted connection. */
    StreamListener listen(InetSocketAddress local, StreamOptions options) throws IOException;

    /** Connects a stream (TCP) to {@code remote}, waiting at most {@code timeoutMillis}. */
    StreamConnection connect(InetSocketAddress remote, InetSocketAddress local, StreamOptions options,
            int timeoutMillis) throws IOException;

    /** Opens a datagram (UDP) endpoint bound to {@code local} (port 0 for any). */
    DatagramEndpoint bindDatagram(InetSocketAddress local, DatagramOptions options) throws IOException;

    @Override
    void close();
}
