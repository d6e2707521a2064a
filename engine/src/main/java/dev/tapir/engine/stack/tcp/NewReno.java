package dev.tapir.engine.stack.tcp;

/**
 * NewReno's window arithmetic (RFC 5681 with RFC 3465 byte counting; RFC 6582's recovery itself lives in the
 * socket): slow start grows cwnd by the bytes acknowledged, congestion avoidance by one MSS per cwnd of data
 * acknowledged, a loss halves it.
 */
public final class NewReno implements CongestionControl {
    private int mss;
    private long cwnd;
    private long ssthresh;
    private long ackedInAvoidance;

    @Override
    public String name() {
        return "reno";
    }

    @Override
    public void init(int mss, long initialWindow) {
        this.mss = mss;
        this.cwnd = initialWindow;
        this.ssthresh = Long.MAX_VALUE;
        this.ackedInAvoidance = 0;
    }

    @Override
    public long congestionWindow() {
        return cwnd;
    }

    @Override
    public long slowStartThreshold() {
        return ssthresh;
    }

    @Override
    public void onAck(long nowNanos, long ackedBytes, long srttNanos) {
        if (cwnd < ssthresh) {
            long grow = Math.min(ackedBytes, ssthresh - cwnd);
            cwnd += grow;
            ackedBytes -= grow;
        }
        if (ackedBytes > 0) {
            ackedInAvoidance += ackedBytes;
            while (ackedInAvoidance >= cwnd) {
                ackedInAvoidance -= cwnd;
                cwnd += mss;
            }
        }
    }

    @Override
    public void onLoss(long nowNanos, long flightBytes) {
        ssthresh = Math.max(flightBytes / 2, 2L * mss);
        cwnd = ssthresh;
        ackedInAvoidance = 0;
    }

    @Override
    public void onRecoveryEnd(long nowNanos) {
        cwnd = ssthresh;
    }

    @Override
    public void onTimeout(long nowNanos, long flightBytes) {
        ssthresh = Math.max(flightBytes / 2, 2L * mss);
        cwnd = mss;
        ackedInAvoidance = 0;
    }
}
