package dev.tapir.engine.stack;

import dev.tapir.engine.stack.iface.ArpCache;
import dev.tapir.engine.stack.iface.InterfaceConfig;
import dev.tapir.engine.stack.phy.Device;
import dev.tapir.engine.stack.phy.MemoryLink;
import dev.tapir.engine.stack.tcp.TcpConfig;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** Two stacks, A (10.0.0.1) and B (10.0.0.2), on a memory link, driven on the test thread by a fake clock. */
public final class LinkedStacks implements AutoCloseable {
    public static final long MAC_A = 0x02_00_00_00_00_01L;
    public static final long MAC_B = 0x02_00_00_00_00_02L;
    public static final int ADDRESS_A = 0x0a000001;
    public static final int ADDRESS_B = 0x0a000002;
    public static final long STEP_NANOS = 100_000;

    public final MemoryLink link;
    public final NetworkStack a;
    public final NetworkStack b;
    public long now = 1_000_000_000L;

    public LinkedStacks() {
        this(ArpCache.Settings.DEFAULT, UnaryOperator.identity(), UnaryOperator.identity());
    }

    /** {@code wrapA}/{@code wrapB} may put fault injectors or capture around each end. */
    public LinkedStacks(ArpCache.Settings arp, UnaryOperator<Device> wrapA, UnaryOperator<Device> wrapB) {
        this(new MemoryLink(1500), arp, wrapA, wrapB);
    }

    /** Over {@code link}, e.g. one with checksum offload. */
    public LinkedStacks(MemoryLink link, ArpCache.Settings arp, UnaryOperator<Device> wrapA,
            UnaryOperator<Device> wrapB) {
        this.link = link;
        this.a = new NetworkStack(wrapA.apply(link.endA()), new InterfaceConfig(MAC_A, ADDRESS_A, 24, 0), arp,
                new TcpConfig());
        this.b = new NetworkStack(wrapB.apply(link.endB()), new InterfaceConfig(MAC_B, ADDRESS_B, 24, 0), arp,
                new TcpConfig());
    }

    /** One duty cycle of each stack, then the clock moves on by {@link #STEP_NANOS}. */
    public void step() {
        a.doWork(now);
        b.doWork(now);
        now += STEP_NANOS;
    }

    public void steps(int count) {
        for (int i = 0; i < count; i++) {
            step();
        }
    }

    /** Steps until {@code done} or {@code maxSteps}; returns whether it became true. */
    public boolean stepUntil(BooleanSupplier done, int maxSteps) {
        for (int i = 0; i < maxSteps; i++) {
            if (done.getAsBoolean()) {
                return true;
            }
            step();
        }
        return done.getAsBoolean();
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }
}
