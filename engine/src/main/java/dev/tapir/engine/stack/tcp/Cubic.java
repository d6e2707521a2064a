package dev.tapir.engine.stack.tcp;

/**
 * CUBIC (RFC 9438): after a loss the window follows W(t) = C (t - K)^3 + W_max, concave up to the old maximum and
 * convex beyond it, never below the Reno-friendly estimate. Windows are kept in segments as doubles.
 */
public final class Cubic implements CongestionControl {
    private static final double C = 0.4;
    private static final double BETA = 0.7;
    /** RFC 9438 §4.3: the AIMD increase that matches Reno's average rate with beta 0.7. */
    private static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    private int mss;
    private double cwnd;
    private double ssthresh;
    private double wMax;
    private double wEst;
    private double k;
    private long epochStartNanos = -1;

    @Override
    public String name() {
        return "cubic";
    }

    @Override
    public void init(int mss, long initialWindow) {
        this.mss = mss;
        this.cwnd = (double) initialWindow / mss;
        this.ssthresh = Double.MAX_VALUE;
        this.wMax = 0;
        this.epochStartNanos = -1;
    }

    @Override
    public long congestionWindow() {
        return (long) (cwnd * mss);
    }

    @Override
    public long slowStartThreshold() {
        return ssthresh == Double.MAX_VALUE ? Long.MAX_VALUE : (long) (ssthresh * mss);
    }

    @Override
    public void onAck(long nowNanos, long ackedBytes, long srttNanos) {
        double acked = (double) ackedBytes / mss;
        if (cwnd < ssthresh) {
            double grow = Math.min(acked, ssthresh - cwnd);
            cwnd += grow;
            acked -= grow;
            if (acked <= 0) {
                return;
            }
        }
        if (epochStartNanos < 0) {
            epochStartNanos = nowNanos;
            wEst = cwnd;
            if (cwnd < wMax) {
                k = Math.cbrt((wMax - cwnd) / C);
            } else {
                k = 0;
                wMax = cwnd;
            }
        }
        double t = (nowNanos - epochStartNanos) / 1e9;
        double rtt = srttNanos / 1e9;
        // Reno-friendly estimate (§4.3); alpha becomes 1 once it passes the old maximum.
        wEst += (wEst >= wMax ? 1.0 : ALPHA) * acked / cwnd;
        double cubicNow = C * Math.pow(t - k, 3) + wMax;
        if (cubicNow < wEst) {
            cwnd = Math.max(cwnd, wEst);
            return;
        }
        double target = C * Math.pow(t + rtt - k, 3) + wMax;
        target = Math.max(cwnd, Math.min(target, 1.5 * cwnd));
        cwnd += (target - cwnd) / cwnd * acked;
    }

    @Override
    public void onLoss(long nowNanos, long flightBytes) {
        reduce();
        cwnd = ssthresh;
    }

    @Override
    public void onRecoveryEnd(long nowNanos) {
        cwnd = ssthresh;
    }

    @Override
    public void onTimeout(long nowNanos, long flightBytes) {
        reduce();
        cwnd = 1;
    }

    private void reduce() {
        epochStartNanos = -1;
        // Fast convergence (§4.7): release bandwidth to newer flows when the maximum keeps shrinking.
        wMax = cwnd < wMax ? cwnd * (1 + BETA) / 2 : cwnd;
        ssthresh = Math.max(cwnd * BETA, 2);
    }
}
