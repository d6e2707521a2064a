package dev.tapir.engine.stack;

import dev.tapir.engine.stack.tcp.TcpListener;
import dev.tapir.engine.stack.tcp.TcpSocket;
import dev.tapir.engine.stack.tcp.UserWakeup;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import java.net.InetSocketAddress;
import java.util.function.BooleanSupplier;

/** A listening TCP port of the userspace stack; one user thread accepts. */
final class UserspaceStreamListener implements StreamListener {
    private final TcpListener listener;
    private final InetSocketAddress localAddress;
    private final BooleanSupplier acceptReady;

    UserspaceStreamListener(TcpListener listener, InetSocketAddress localAddress) {
        this.listener = listener;
        this.acceptReady = listener::acceptReady;
        this.localAddress = localAddress;
    }

    @Override
    public StreamConnection accept(int timeoutMillis) {
        long deadline = UserspaceTransport.deadline(timeoutMillis);
        UserWakeup wakeup = listener.acceptWakeup();
        wakeup.reset();
        while (true) {
            TcpSocket socket = listener.accept();
            if (socket != null) {
                return new UserspaceStreamConnection(socket);
            }
            if (listener.isClosed() || UserspaceTransport.expired(deadline)) {
                return null;
            }
            wakeup.idle(acceptReady, deadline);
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void close() {
        listener.close();
    }
}
