package dev.tapir.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Writes a sweep's results (CSV, JSON, an SVG plot) and prints medians per tool and length with the ratios of each
 * tapir variant to each C tool.
 */
public final class BenchReport {
    private final BenchConfig config;
    private final List<Measurement> results;

    public BenchReport(BenchConfig config, List<Measurement> results) {
        this.config = config;
        this.results = List.copyOf(results);
    }

    public void write() throws IOException {
        Path dir = config.outputDirectory();
        StringBuilder csv = new StringBuilder("tool,protocol,length,iteration,bits_per_second,packets_per_second,"
                + "lost_percent,gc_pauses,gc_pauses_after_warm_up,other_cpu_percent\n");
        for (Measurement m : results) {
            csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.0f,%.0f,%.4f,%d,%d,%.1f%n", m.tool().label(),
                    m.protocol(), m.length(), m.iteration(), m.bitsPerSecond(), m.packetsPerSecond(), m.lostPercent(),
                    m.gcPauses(), m.gcPausesAfterWarmUp(), m.otherCpuPercent()));
        }
        Files.writeString(dir.resolve("results.csv"), csv);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("results.json").toFile(),
                results);
        Files.writeString(dir.resolve("plot.svg"), svg());
    }

    /** The median of one tool at one length: bits/s for TCP, packets/s for UDP; NaN when it has no run. */
    public double median(Tool tool, int length) {
        return median(tool, length, m -> config.udp() ? m.packetsPerSecond() : m.bitsPerSecond());
    }

    /** The median loss of one tool at one length, percent; NaN when it has no run. */
    public double medianLoss(Tool tool, int length) {
        return median(tool, length, Measurement::lostPercent);
    }

    private double median(Tool tool, int length, ToDoubleFunction<Measurement> figure) {
        return median(results.stream().filter(m -> m.tool() == tool && m.length() == length).mapToDouble(figure)
                .toArray());
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /**
     * Prints, per length: each tool's median (Gbit/s for TCP, received kpkt/s and loss % for UDP), each tapir
     * variant's ratio to each C tool, and the most CPU other processes used during any of that length's runs.
     */
    public void printSummary(PrintStream out) {
        String unit = config.udp() ? "kpkt/s" : "Gbit/s";
        double scale = config.udp() ? 1e3 : 1e9;
        List<Tool> tapirs = config.tools().stream().filter(Tool::isTapir).toList();
        List<Tool> others = config.tools().stream().filter(t -> !t.isTapir()).toList();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-8s", "length"));
        for (Tool tool : config.tools()) {
            header.append(String.format(Locale.ROOT, " %18s", tool.label() + " " + unit));
            if (config.udp()) {
                header.append(String.format(Locale.ROOT, " %7s", "loss%"));
            }
        }
        for (Tool tapir : tapirs) {
            for (Tool other : others) {
                header.append(String.format(Locale.ROOT, " %19s", tapir.label() + "/" + other.label()));
            }
        }
        header.append("  other-CPU%(max)");
        out.println("medians of " + config.iterations() + " run(s), " + config.protocol() + ", loopback, "
                + config.seconds() + " s each, at the receiver"
                + (config.udp() ? " (UDP: datagrams received per second, -b " + config.udpRate() + ")" : ""));
        out.println(header);
        for (int length : config.lengths()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-8d", length));
            for (Tool tool : config.tools()) {
                row.append(String.format(Locale.ROOT, " %18.3f", median(tool, length) / scale));
                if (config.udp()) {
                    row.append(String.format(Locale.ROOT, " %7.2f", medianLoss(tool, length)));
                }
            }
            for (Tool tapir : tapirs) {
                for (Tool other : others) {
                    row.append(String.format(Locale.ROOT, " %18.2fx", median(tapir, length) / median(other, length)));
                }
            }
            double otherCpu = results.stream().filter(m -> m.length() == length)
                    .mapToDouble(Measurement::otherCpuPercent).max().orElse(-1);
            row.append(otherCpu < 0 ? "  ?" : String.format(Locale.ROOT, "  %.0f", otherCpu));
            out.println(row);
        }
        if (!tapirs.isEmpty()) {
            long gc = results.stream().filter(m -> m.gcPauses() > 0).mapToLong(Measurement::gcPauses).sum();
            long late = results.stream().filter(m -> m.gcPausesAfterWarmUp() > 0)
                    .mapToLong(Measurement::gcPausesAfterWarmUp).sum();
            out.printf(Locale.ROOT, "tapir GC pauses over all runs (client + server JVMs): %d, of which %d in the data "
                    + "phase after its first %.0f s%n", gc, late, BenchHarness.WARM_UP_SECONDS);
        }
        out.println("other-CPU%: CPU used by other processes while data flowed, percent of one core (noise)");
        out.println("results: " + config.outputDirectory().resolve("results.csv") + ", results.json, plot.svg");
    }

    /** A line chart of the medians against the buffer length (log scale), one line per tool. */
    private String svg() {
        int width = 720;
        int height = 420;
        int left = 70;
        int right = 150;
        int top = 30;
        int bottom = 50;
        double scale = config.udp() ? 1e6 : 1e9;
        String unit = config.udp() ? "Mpkt/s" : "Gbit/s";
        List<Integer> lengths = config.lengths().stream().sorted().toList();
        double max = 0;
        for (Tool tool : config.tools()) {
            for (int length : lengths) {
                double v = median(tool, length);
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v / scale);
                }
            }
        }
        max = max <= 0 ? 1 : max * 1.1;
        double minLog = Math.log(lengths.getFirst());
        double maxLog = Math.log(lengths.getLast());
        double span = maxLog > minLog ? maxLog - minLog : 1;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "font-family='sans-serif' font-size='12'>%n", width, height));
        s.append("<rect width='100%' height='100%' fill='white'/>\n");
        s.append(String.format(Locale.ROOT, "<text x='%d' y='18'>%s throughput on loopback (median of %d)</text>%n",
                left, config.protocol().toUpperCase(Locale.ROOT), config.iterations()));
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='black'/>%n",
                left, top, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            int y = top + plotH - (int) (plotH * i / 4.0);
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='end'>%.2f</text>%n", left - 5, y + 4, v));
        }
        s.append(String.format(Locale.ROOT, "<text x='15' y='%d' transform='rotate(-90 15 %d)'>%s</text>%n",
                top + plotH / 2, top + plotH / 2, unit));
        for (int length : lengths) {
            int x = left + (int) (plotW * (Math.log(length) - minLog) / span);
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%d</text>%n", x,
                    top + plotH + 18, length));
        }
        s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>buffer length -l (bytes)</text>%n",
                left + plotW / 2, height - 10));
        String[] colours = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd"};
        int legend = 0;
        for (Tool tool : config.tools()) {
            String colour = colours[legend % colours.length];
            List<String> points = new ArrayList<>();
            for (int length : lengths) {
                double v = median(tool, length);
                if (!Double.isNaN(v)) {
                    int x = left + (int) (plotW * (Math.log(length) - minLog) / span);
                    int y = top + plotH - (int) (plotH * (v / scale) / max);
                    points.add(x + "," + y);
                    s.append(String.format(Locale.ROOT, "<circle cx='%d' cy='%d' r='3' fill='%s'/>%n", x, y, colour));
                }
            }
            s.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n",
                    colour, String.join(" ", points)));
            int ly = top + 10 + legend * 18;
            s.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='2'/>"
                    + "<text x='%d' y='%d'>%s</text>%n", left + plotW + 10, ly, left + plotW + 30, ly, colour,
                    left + plotW + 35, ly + 4, tool.label()));
            legend++;
        }
        s.append("</svg>\n");
        return s.toString();
    }
}
