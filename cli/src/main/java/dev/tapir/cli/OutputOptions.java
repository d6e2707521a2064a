package dev.tapir.cli;

import picocli.CommandLine.Option;

/** How results are printed: human text like iperf3's (the default), iperf3 -J JSON, or iperf 2 -y C CSV lines. */
final class OutputOptions {
    @Option(names = {"-J", "--json"}, description = "Print results as iperf3 -J JSON.")
    boolean json;

    @Option(names = "--csv", description = "Print results as iperf 2 -y C CSV lines.")
    boolean csv;

    ReportPrinter.Format format() {
        return ReportPrinter.format(json, csv);
    }
}
