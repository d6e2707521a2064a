package dev.tapir.engine.report;

/** Percent CPU used by this process and by the peer (iperf3's end.cpu_utilization_percent). */
public record CpuUtilization(double hostTotal, double hostUser, double hostSystem, double remoteTotal,
        double remoteUser, double remoteSystem) {
    public static final CpuUtilization NONE = new CpuUtilization(0, 0, 0, 0, 0, 0);
}
