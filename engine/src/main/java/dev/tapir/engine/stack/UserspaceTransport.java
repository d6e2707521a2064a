package dev.tapir.engine.stack;

import dev.tapir.engine.stack.tcp.TcpConfig;
import dev.tapir.engine.stack.tcp.TcpListener;
import dev.tapir.engine.stack.tcp.TcpSocket;
import dev.tapir.engine.stack.tcp.TcpState;
import dev.tapir.engine.stack.udp.UdpSocket;
import dev.tapir.engine.stack.wire.Ipv4Address;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.concurrent.BackoffIdleStrategy;

/**
 * The {@link Transport} seam over a {@link NetworkStack}: streams over its TCP sockets, datagram endpoints over its
 * UDP sockets. Set-up (listen, connect, bind, close) reaches the stack thread as commands; data moves between the
 * caller's segments and the sockets' rings with one copy. Stream reads, writes and accepts wait until the stack thread
 * wakes them ({@link dev.tapir.engine.stack.tcp.UserWakeup}); connects and datagrams wait with a backoff idle
 * strategy. The stack must be running (a {@link StackRunner}) while this is used; closing the transport does not stop
 * the stack.
 */
public final class UserspaceTransport implements Transport {
    /** How long a set-up command may wait for the stack thread before the stack is declared not running. */
    static final long COMMAND_TIMEOUT_MILLIS = 5_000;
    private static final int LISTEN_BACKLOG = 128;

    private final NetworkStack stack;
    private final int localAddress;

    public UserspaceTransport(NetworkStack stack) {
        this.stack = stack;
        this.localAddress = stack.config().address();
    }

    @Override
    public String name() {
        return "userspace";
    }

    public NetworkStack stack() {
        return stack;
    }

    @Override
    public StreamListener listen(InetSocketAddress local, StreamOptions options) throws IOException {
        checkLocal(local);
        int port = local.getPort();
        if (port == 0) {
            throw new BindException("the userspace stack needs an explicit port to listen on");
        }
        TcpConfig config = tcpConfig(options);
        TcpListener listener = onStackThread(() -> stack.tcp().listen(port, LISTEN_BACKLOG, config));
        return new UserspaceStreamListener(listener, endpoint(localAddress, port));
    }

    @Override
    public StreamConnection connect(InetSocketAddress remote, InetSocketAddress local, StreamOptions options,
            int timeoutMillis) throws IOException {
        int localPort = 0;
        if (local != null) {
            checkLocal(local);
            localPort = local.getPort();
        }
        int remoteAddress = Ipv4Address.of(resolved(remote).getAddress());
        int remotePort = remote.getPort();
        int port = localPort;
        TcpConfig config = tcpConfig(options);
        TcpSocket socket = onStackThread(
                () -> stack.tcp().connect(stack.now(), remoteAddress, remotePort, port, config));
        long deadline = deadline(timeoutMillis);
        BackoffIdleStrategy idle = idleStrategy();
        while (true) {
            TcpState state = socket.state();
            if (state.synchronizedState()) {
                return new UserspaceStreamConnection(socket);
            }
            if (socket.isUnreachable()) {
                throw new NoRouteToHostException("no route to " + remote.getAddress().getHostAddress()
                        + " from the userspace stack " + Ipv4Address.format(localAddress));
            }
            if (socket.isReset() || state == TcpState.CLOSED) {
                throw new ConnectException("connection to " + remote + " refused or reset");
            }
            if (expired(deadline)) {
                socket.abort();
                throw new SocketTimeoutException("connect to " + remote + " timed out after " + timeoutMillis + " ms");
            }
            idle.idle();
        }
    }

    @Override
    public DatagramEndpoint bindDatagram(InetSocketAddress local, DatagramOptions options) throws IOException {
        checkLocal(local);
        int port = local.getPort();
        // Like the kernel transport's SO_REUSEADDR: iperf3's server opens one socket per stream on its port.
        UdpSocket socket = onStackThread(() -> stack.udp().bind(port, options.bufferBytes(), true));
        int maxData = Math.min(socket.maxRecordData(), stack.networkInterface().maxL4Length(0) - 8);
        return new UserspaceDatagramEndpoint(this, socket, endpoint(localAddress, socket.localPort()), maxData);
    }

    /** Closing the transport leaves the stack and its sockets to their owners. */
    @Override
    public void close() {
    }

    void unbind(UdpSocket socket) {
        stack.submit(() -> stack.udp().unbind(socket));
    }

    /** Runs {@code operation} on the stack thread and waits for its result; its exceptions become IOExceptions. */
    private <T> T onStackThread(Callable<T> operation) throws IOException {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (!stack.submit(() -> {
            try {
                result.complete(operation.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        })) {
            throw new IOException("userspace stack command queue is full");
        }
        try {
            return result.get(COMMAND_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException) {
                throw new BindException(cause.getMessage());
            }
            throw new IOException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IOException("userspace stack did not answer within " + COMMAND_TIMEOUT_MILLIS
                    + " ms (is it running?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the userspace stack");
        }
    }

    private void checkLocal(InetSocketAddress local) throws IOException {
        InetSocketAddress address = resolved(local);
        int wanted = Ipv4Address.of(address.getAddress());
        if (wanted != Ipv4Address.ANY && wanted != localAddress) {
            throw new BindException("address " + address.getAddress().getHostAddress()
                    + " is not the userspace stack's " + Ipv4Address.format(localAddress));
        }
    }

    private static InetSocketAddress resolved(InetSocketAddress address) throws IOException {
        if (address.isUnresolved()) {
            throw new IOException("cannot resolve " + address.getHostString());
        }
        return address;
    }

    static InetSocketAddress endpoint(int address, int port) {
        return new InetSocketAddress(Ipv4Address.toInetAddress(address), port);
    }

    static TcpConfig tcpConfig(StreamOptions options) {
        // Nagle's algorithm is not implemented (segments go out as soon as the window allows), so noDelay holds always.
        TcpConfig config = new TcpConfig();
        if (options.windowBytes() > 0) {
            config.sendBufferBytes(options.windowBytes()).receiveBufferBytes(options.windowBytes());
        }
        if (options.mss() > 0) {
            config.mss(options.mss());
        }
        if (options.congestion() != null) {
            config.congestion(options.congestion());
        }
        return config;
    }

    static BackoffIdleStrategy idleStrategy() {
        return new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), StackRunner.MAX_PARK_NANOS);
    }

    /** The deadline for a wait of {@code timeoutMillis} (negative waits without end). */
    static long deadline(int timeoutMillis) {
        return timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    static boolean expired(long deadline) {
        return deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0;
    }
}
