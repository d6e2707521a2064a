package dev.tapir.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes a sweep's results (CSV, JSON, an SVG plot) and prints medians per tool and length with tapir's ratios. */
public final class BenchReport {
    private final BenchConfig config;
    private final List<Measurement> results;

    public BenchReport(BenchConfig config, List<Measurement> results) {
        this.config = config;
        this.results = List.copyOf(results);
    }

    public void write() throws IOException {
        Path dir = config.outputDirectory();
        StringBuilder csv = new StringBuilder(
                "tool,protocol,length,iteration,bits_per_second,packets_per_second,lost_percent,gc_pauses\n");
        for (Measurement m : results) {
            csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.0f,%.0f,%.4f,%d%n", m.tool().label(), m.protocol(),
                    m.length(), m.iteration(), m.bitsPerSecond(), m.packetsPerSecond(), m.lostPercent(),
                    m.gcPauses()));
        }
        Files.writeString(dir.resolve("results.csv"), csv);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("results.json").toFile(),
                results);
        Files.writeString(dir.resolve("plot.svg"), svg());
    }

    /** The median of one tool at one length: bits/s for TCP, packets/s for UDP; NaN when it has no run. */
    public double median(Tool tool, int length) {
        double[] values = results.stream().filter(m -> m.tool() == tool && m.length() == length)
                .mapToDouble(m -> config.udp() ? m.packetsPerSecond() : m.bitsPerSecond()).sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    public void printSummary(PrintStream out) {
        String unit = config.udp() ? "kpkt/s" : "Gbit/s";
        double scale = config.udp() ? 1e3 : 1e9;
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-9s", "length"));
        for (Tool tool : config.tools()) {
            header.append(String.format(Locale.ROOT, " %14s", tool.label() + " " + unit));
        }
        for (Tool tool : config.tools()) {
            if (tool != Tool.TAPIR && config.tools().contains(Tool.TAPIR)) {
                header.append(String.format(Locale.ROOT, " %14s", "tapir/" + tool.label()));
            }
        }
        out.println("medians of " + config.iterations() + " run(s), " + config.protocol() + ", loopback, "
                + config.seconds() + " s each, at the receiver");
        out.println(header);
        for (int length : config.lengths()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-9d", length));
            for (Tool tool : config.tools()) {
                row.append(String.format(Locale.ROOT, " %14.3f", median(tool, length) / scale));
            }
            for (Tool tool : config.tools()) {
                if (tool != Tool.TAPIR && config.tools().contains(Tool.TAPIR)) {
                    row.append(String.format(Locale.ROOT, " %13.2fx", median(Tool.TAPIR, length) / median(tool, length)));
                }
            }
            out.println(row);
        }
        long gc = results.stream().filter(m -> m.gcPauses() > 0).mapToLong(Measurement::gcPauses).sum();
        if (config.tools().contains(Tool.TAPIR)) {
            out.println("tapir GC pauses over all runs (client + server JVMs): " + gc);
        }
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
