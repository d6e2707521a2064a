package dev.tapir.engine.stack;

import dev.tapir.engine.stack.iface.ArpCache;
import dev.tapir.engine.stack.iface.Interface;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.stats.LiveCounters;
import dev.tapir.engine.stack.stats.StackCounter;
import dev.tapir.engine.stack.tcp.TcpConfig;
import dev.tapir.engine.stack.tcp.TcpLayer;
import dev.tapir.engine.stack.udp.UdpLayer;
import dev.tapir.engine.stack.wire.Ipv4Address;
import java.util.function.Consumer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * One instance of the userspace stack: a device, the interface on it (ARP, IPv4, ICMP), the UDP and TCP layers, and a
 * queue of commands from user threads. It is an Agrona {@link Agent}: one thread (see {@link StackRunner}) calls
 * {@link #doWork()}, which receives a batch of frames, dispatches them, runs TCP timers and output, and sends queued
 * UDP datagrams. Tests drive {@link #doWork(long)} directly with a fake clock. Everything here except
 * {@link #submit} and {@link #counters} belongs to the thread that calls doWork.
 */
public final class NetworkStack implements Agent, AutoCloseable {
    /** Frames received per duty cycle before the stack turns to its send side. */
    public static final int RECEIVE_BATCH = 64;
    private static final int COMMAND_QUEUE_CAPACITY = 1024;
    private static final int COMMANDS_PER_CYCLE = 16;

    private final Device device;
    private final LiveCounters<StackCounter> counters = new LiveCounters<>(StackCounter.class);
    private final Interface networkInterface;
    private final UdpLayer udp;
    private final TcpLayer tcp;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands =
            new ManyToOneConcurrentArrayQueue<>(COMMAND_QUEUE_CAPACITY);
    private final Consumer<Runnable> runCommand = Runnable::run;
    private long now;
    private boolean closed;

    public NetworkStack(Device device, InterfaceConfig config) {
        this(device, config, ArpCache.Settings.DEFAULT, new TcpConfig());
    }

    /**
     * @param device the link, possibly wrapped in a FaultInjector and/or PcapWriter; the stack closes it
     * @param config addresses of the interface
     * @param arp neighbour cache sizes and times
     * @param tcpDefaults connection settings used where a caller gives none
     */
    public NetworkStack(Device device, InterfaceConfig config, ArpCache.Settings arp, TcpConfig tcpDefaults) {
        this.device = device;
        this.networkInterface = new Interface(device, config, arp, counters);
        this.udp = new UdpLayer(counters);
        this.tcp = new TcpLayer(config.address(), tcpDefaults);
        networkInterface.udpHandler(udp);
        networkInterface.tcpHandler((nowNanos, source, destination, buffer, offset, length, checksumTrusted) ->
                tcp.onSegment(nowNanos, source, destination, buffer, offset, length, checksumTrusted, networkInterface));
    }

    /** One duty cycle at the real clock. */
    @Override
    public int doWork() {
        return doWork(System.nanoTime());
    }

    /**
     * One duty cycle at {@code nowNanos}: commands, a batch of frames in, TCP output and timers, UDP output, and
     * the device sends what it batched.
     */
    public int doWork(long nowNanos) {
        this.now = nowNanos;
        int work = commands.drain(runCommand, COMMANDS_PER_CYCLE);
        work += networkInterface.poll(nowNanos, RECEIVE_BATCH);
        work += tcp.poll(nowNanos, networkInterface);
        work += udp.flush(nowNanos, networkInterface);
        device.sendCommitted(nowNanos);
        return work;
    }

    /**
     * Any thread: queues an operation to run on the stack thread at its next duty cycle (socket set-up and tear-down,
     * never per-packet work). False when the queue is full.
     */
    public boolean submit(Runnable command) {
        return commands.offer(command);
    }

    /** The clock of the current (or last) duty cycle; stack thread. */
    public long now() {
        return now;
    }

    /** Any thread. */
    public LiveCounters<StackCounter> counters() {
        return counters;
    }

    public InterfaceConfig config() {
        return networkInterface.config();
    }

    public Interface networkInterface() {
        return networkInterface;
    }

    public UdpLayer udp() {
        return udp;
    }

    public TcpLayer tcp() {
        return tcp;
    }

    @Override
    public String roleName() {
        return "tapir-stack-" + Ipv4Address.format(config().address());
    }

    /** Called on the stack thread when its runner stops: closes the device (and so flushes a pcap capture). */
    @Override
    public void onClose() {
        close();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.close();
        }
    }
}
