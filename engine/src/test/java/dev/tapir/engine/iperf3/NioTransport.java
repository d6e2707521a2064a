package dev.tapir.engine.iperf3;

import dev.tapir.engine.transport.DatagramBatch;
import dev.tapir.engine.transport.DatagramEndpoint;
import dev.tapir.engine.transport.DatagramOptions;
import dev.tapir.engine.transport.StreamConnection;
import dev.tapir.engine.transport.StreamListener;
import dev.tapir.engine.transport.StreamOptions;
import dev.tapir.engine.transport.TcpStats;
import dev.tapir.engine.transport.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A test-only {@link Transport} over java.nio channels, so the dialect's protocol tests do not depend on the kernel
 * transport's branch. It allocates per call; it is for correctness tests, not throughput.
 */
final class NioTransport implements Transport {
    @Override
    public String name() {
        return "nio-test";
    }

    @Override
    public StreamListener listen(InetSocketAddress local, StreamOptions options) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(local, 128);
        server.configureBlocking(false);
        Selector selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        return new StreamListener() {
            @Override
            public StreamConnection accept(int timeoutMillis) throws IOException {
                SocketChannel c = server.accept();
                if (c == null && selector.select(Math.max(1, timeoutMillis)) > 0) {
                    selector.selectedKeys().clear();
                    c = server.accept();
                }
                return c == null ? null : new Connection(c);
            }

            @Override
            public InetSocketAddress localAddress() {
                try {
                    return (InetSocketAddress) server.getLocalAddress();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void close() {
                try {
                    selector.close();
                    server.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    @Override
    public StreamConnection connect(InetSocketAddress remote, InetSocketAddress local, StreamOptions options,
            int timeoutMillis) throws IOException {
        SocketChannel c = SocketChannel.open();
        if (local != null) {
            c.bind(local);
        }
        c.socket().connect(remote, timeoutMillis);
        return new Connection(c);
    }

    @Override
    public DatagramEndpoint bindDatagram(InetSocketAddress local, DatagramOptions options) throws IOException {
        DatagramChannel d = DatagramChannel.open();
        d.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        d.bind(local);
        return new Datagrams(d);
    }

    @Override
    public void close() {
    }

    private static boolean await(Selector selector, int timeoutMillis) throws IOException {
        boolean ready = selector.select(Math.max(1, timeoutMillis)) > 0;
        selector.selectedKeys().clear();
        return ready;
    }

    private static Selector register(SelectableChannel channel, int ops) throws IOException {
        channel.configureBlocking(false);
        Selector selector = Selector.open();
        channel.register(selector, ops);
        return selector;
    }

    private static final class Connection implements StreamConnection {
        private final SocketChannel channel;
        private final Selector readable;
        private final Selector writable;

        Connection(SocketChannel channel) throws IOException {
            this.channel = channel;
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            this.readable = register(channel, SelectionKey.OP_READ);
            this.writable = Selector.open();
            channel.register(writable, SelectionKey.OP_WRITE);
        }

        @Override
        public int write(MemorySegment src, long offset, int length, int timeoutMillis) throws IOException {
            ByteBuffer b = src.asSlice(offset, length).asByteBuffer();
            int n = channel.write(b);
            if (n == 0 && await(writable, timeoutMillis)) {
                n = channel.write(b);
            }
            return n;
        }

        @Override
        public int read(MemorySegment dst, long offset, int length, int timeoutMillis) throws IOException {
            ByteBuffer b = dst.asSlice(offset, length).asByteBuffer();
            int n = channel.read(b);
            if (n == 0 && await(readable, timeoutMillis)) {
                n = channel.read(b);
            }
            return n < 0 ? EOF : n;
        }

        @Override
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public boolean tcpStats(TcpStats into) {
            return false;
        }

        @Override
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) channel.socket().getLocalSocketAddress();
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return (InetSocketAddress) channel.socket().getRemoteSocketAddress();
        }

        @Override
        public void close() {
            try {
                readable.close();
                writable.close();
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class Datagrams implements DatagramEndpoint {
        private final DatagramChannel channel;
        private final Selector readable;
        private InetSocketAddress lastSource;

        Datagrams(DatagramChannel channel) throws IOException {
            this.channel = channel;
            this.readable = register(channel, SelectionKey.OP_READ);
        }

        @Override
        public void connect(InetSocketAddress remote) throws IOException {
            channel.connect(remote);
        }

        @Override
        public int send(MemorySegment src, long offset, int datagramLength, int count) throws IOException {
            int sent = 0;
            for (int i = 0; i < count; i++) {
                ByteBuffer b = src.asSlice(offset + (long) i * datagramLength, datagramLength).asByteBuffer();
                if (channel.write(b) == 0) {
                    break;
                }
                sent++;
            }
            return sent;
        }

        @Override
        public void sendTo(MemorySegment src, long offset, int length, InetSocketAddress to) throws IOException {
            channel.send(src.asSlice(offset, length).asByteBuffer(), to);
        }

        @Override
        public int receive(DatagramBatch batch, int timeoutMillis) throws IOException {
            batch.clear();
            long slot = batch.buffer().byteSize() / batch.capacity();
            for (int i = 0; i < batch.capacity(); i++) {
                ByteBuffer b = batch.buffer().asSlice(i * slot, slot).asByteBuffer();
                InetSocketAddress from = (InetSocketAddress) channel.receive(b);
                if (from == null && i == 0 && await(readable, timeoutMillis)) {
                    from = (InetSocketAddress) channel.receive(b);
                }
                if (from == null) {
                    break;
                }
                lastSource = from;
                batch.add(i * slot, b.position());
            }
            return batch.count();
        }

        @Override
        public InetSocketAddress lastSource() {
            return lastSource;
        }

        @Override
        public int preferredBatch() {
            return 8;
        }

        @Override
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) channel.socket().getLocalSocketAddress();
        }

        @Override
        public void close() {
            try {
                readable.close();
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
