package dev.tapir.cli;

import dev.tapir.engine.iperf2.Iperf2Csv;
import dev.tapir.engine.iperf3.Iperf3Server;
import dev.tapir.engine.report.HumanReport;
import dev.tapir.engine.report.Interval;
import dev.tapir.engine.report.JsonReport;
import dev.tapir.engine.report.ReportSink;
import dev.tapir.engine.report.TestResult;
import dev.tapir.engine.report.TestStart;
import dev.tapir.engine.test.Protocol;
import java.io.PrintStream;

/**
 * Prints a test the way the user asked: human text with live interval lines (like iperf3), iperf3 {@code -J} JSON at
 * the end, or iperf 2 {@code -y C} CSV lines at the end. Runs on the reporter thread, never on a hot loop.
 */
final class ReportPrinter implements ReportSink, Iperf3Server.Output {
    enum Format { HUMAN, JSON, CSV }

    private final Format format;
    /** The running test's protocol: a server learns it from each client's parameters. */
    private Protocol protocol;
    /** The running test's side, for --bidir role tags; a client until a server's test starts. */
    private boolean client = true;
    private final PrintStream out;
    private boolean firstInterval = true;

    ReportPrinter(Format format, Protocol protocol, PrintStream out) {
        this.format = format;
        this.protocol = protocol;
        this.out = out;
    }

    static Format format(boolean json, boolean csv) {
        if (json && csv) {
            throw new UserError("give -J or --csv, not both");
        }
        return json ? Format.JSON : csv ? Format.CSV : Format.HUMAN;
    }

    @Override
    public synchronized void onStart(TestStart start) {
        protocol = start.protocol();
        client = start.client();
        firstInterval = true;
        if (format == Format.HUMAN) {
            out.print(HumanReport.header(start));
            out.flush();
        }
    }

    @Override
    public void started(TestStart start) {
        onStart(start);
    }

    @Override
    public synchronized void onInterval(Interval interval) {
        if (format == Format.HUMAN) {
            // Retr and Cwnd are a TCP sender's figures: a receiving side prints iperf3's shorter header
            out.print(HumanReport.interval(protocol, interval, firstInterval,
                    protocol == Protocol.TCP && interval.sum().sender(), client));
            out.flush();
            firstInterval = false;
        }
    }

    @Override
    public void interval(Interval interval) {
        onInterval(interval);
    }

    @Override
    public synchronized void result(TestResult result) {
        out.print(render(result, true));
        out.flush();
        firstInterval = true;
    }

    /** The final report; {@code live} is true when the interval lines were already printed as they came. */
    String render(TestResult result, boolean live) {
        boolean retransmits = result.protocol() == Protocol.TCP;
        return switch (format) {
            case JSON -> JsonReport.render(result, retransmits);
            case CSV -> Iperf2Csv.render(result);
            case HUMAN -> live ? HumanReport.summary(result) + (result.start().client() ? "\n" + HumanReport.DONE : "")
                    : HumanReport.render(result, retransmits);
        };
    }

    @Override
    public String render(TestResult result) {
        return render(result, false);
    }

    @Override
    public boolean json() {
        return format == Format.JSON;
    }
}
