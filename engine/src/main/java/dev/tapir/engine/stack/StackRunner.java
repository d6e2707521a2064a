package dev.tapir.engine.stack;

import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;

/**
 * Runs one or more stacks on one thread: an Agrona duty cycle that backs off (spin, yield, then park up to
 * {@link #MAX_PARK_NANOS}) while no stack has work. Several stacks on one thread suit a memory link on a small
 * machine; a stack per runner gives each its own core. Closing stops the thread and closes the stacks' devices.
 */
public final class StackRunner implements AutoCloseable {
    public static final long MAX_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private final AgentRunner runner;
    private volatile Throwable failure;

    private StackRunner(NetworkStack... stacks) {
        Agent agent = stacks.length == 1 ? stacks[0] : new CompositeAgent(stacks);
        BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), MAX_PARK_NANOS);
        this.runner = new AgentRunner(idle, this::onError, null, agent);
    }

    /** Starts a thread that runs {@code stacks} until {@link #close}. */
    public static StackRunner start(NetworkStack... stacks) {
        if (stacks.length == 0) {
            throw new IllegalArgumentException("no stack to run");
        }
        StackRunner runner = new StackRunner(stacks);
        AgentRunner.startOnThread(runner.runner);
        return runner;
    }

    /** An exception that escaped a duty cycle (a defect: network input never throws); null if none. */
    public Throwable failure() {
        return failure;
    }

    private void onError(Throwable error) {
        if (failure == null) {
            failure = error;
        }
    }

    @Override
    public void close() {
        runner.close();
    }
}
