package dev.tapir.engine.transport;

import java.io.IOException;
import java.net.InetSocketAddress;

/** A listening stream endpoint. */
public interface StreamListener extends AutoCloseable {
    /** Waits up to {@code timeoutMillis} for a connection; null when none came. */
    StreamConnection accept(int timeoutMillis) throws IOException;

    InetSocketAddress localAddress();

    @Override
    void close();
}
