package dev.tapir.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapir.nativeio.IoUring;
import dev.tapir.nativeio.Namespaces;
import dev.tapir.nativeio.Tun;
import dev.tapir.tools.TapLab;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tapir server/client --tap} on the userspace stack, run as separate processes through the CLI entry point, in
 * a lab namespace this class creates and deletes (bridge 192.168.122.1/24, taps tap0 and tap1): tapir against tapir
 * (the hvt run), the kernel's iperf3, iperf 2 and ping against a tapir server, a tapir client against iperf3 -s and
 * iperf -s, and TCP through 1 % random frame loss on the bridge. Between tapirs, {@code --verify} has the receiver
 * check every byte.
 */
class TapRunTest {
    static final String SERVER_IP = "192.168.122.10";
    static final String CLIENT_IP = "192.168.122.20";
    static final String HOST_IP = "192.168.122.1";
    static final ObjectMapper JSON = new ObjectMapper();
    /** tapir and iperf 2 stop -n at the exact byte: not a multiple of any write length. */
    private static final long BYTES = 4L * 1024 * 1024 + 4321;
    /** iperf3 sends whole 128 KiB blocks and may send one more than -n asks: the counts must agree with its own. */
    private static final long BLOCKS_BYTES = 4L * 1024 * 1024;
    private static String ns;

    @BeforeAll
    static void createLab() throws Exception {
        ns = "tapir-t-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24) | (1 << 24));
        TapLab.create(ns);
    }

    @AfterAll
    static void deleteLab() throws Exception {
        if (ns != null && Namespaces.exists(ns)) {
            TapLab.delete(ns);
        }
    }

    static String ns() {
        return ns;
    }

    /** A tapir server on tap0 (.10) in the lab; returns once it listens. */
    static ChildProcess server(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("server", "--netns", ns, "--tap", TapLab.SERVER_TAP, "--ip",
                TapLab.SERVER_ADDRESS, "-i", "0"));
        args.addAll(List.of(extra));
        ChildProcess server = ChildProcess.tapir(List.of(), args.toArray(String[]::new));
        server.awaitStderr("tapir: tapir server listening on", 20);
        return server;
    }

    /** A tapir client on tap1 (.20) in the lab, run to its end; returns its stdout. */
    static String client(String host, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("client", host, "--netns", ns, "--tap", TapLab.CLIENT_TAP,
                "--ip", TapLab.CLIENT_ADDRESS, "-i", "0"));
        args.addAll(List.of(extra));
        try (ChildProcess client = ChildProcess.tapir(List.of(), args.toArray(String[]::new))) {
            int exit = client.await(60);
            assertEquals(0, exit, client.stderr());
            assertTrue(client.stderr().contains("userspace stack on tap tap1 in network namespace " + ns),
                    client.stderr());
            boolean batched = !args.contains("--no-io-uring") && IoUring.isAllowed();
            String path = batched ? ", io_uring batches" : ", a system call per frame";
            assertTrue(client.stderr().contains(path), client.stderr());
            return client.stdout();
        }
    }

    /** {@code ip netns exec NS COMMAND...} to its end; its stdout. */
    static String inLab(long seconds, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return ChildProcess.run(seconds, full.toArray(String[]::new));
    }

    static ChildProcess startInLab(String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return ChildProcess.start(full);
    }

    /** Every JSON document in {@code text} (a tapir server prints one per test). */
    static List<JsonNode> documents(String text) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (var values = JSON.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
            values.forEachRemaining(docs::add);
        }
        return docs;
    }

    /** Waits until the server has printed {@code count} JSON results, and returns them. */
    static List<JsonNode> serverResults(ChildProcess server, int count) throws Exception {
        for (int i = 0; i < 500; i++) {
            String out = server.stdout();
            if (out.strip().endsWith("}")) {
                List<JsonNode> docs = documents(out);
                if (docs.size() >= count) {
                    return docs;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("server printed fewer than " + count + " results: " + server.stdout());
    }

    static long bytes(JsonNode doc, String sum) {
        return doc.get("end").get(sum).get("bytes").longValue();
    }

    /** The receiving tapir checked every byte of the --verify pattern and found no mismatch. */
    static void assertVerified(JsonNode doc, long bytes) {
        JsonNode verify = doc.get("end").get("tapir_verify");
        assertEquals(false, verify.get("mismatch").booleanValue(), verify.toString());
        assertEquals(bytes, verify.get("bytes_checked").longValue(), verify.toString());
    }

    /** The byte count of the last (whole-test) line of iperf 2 {@code -y C} output. */
    static long csvBytes(String csv) {
        String[] lines = csv.strip().split("\n");
        return Long.parseLong(lines[lines.length - 1].split(",")[7]);
    }

    @Test
    void tapirServerServesTapirClientsIperf3TcpAndUdpAndPing() throws Exception {
        try (ChildProcess server = server("-J")) {
            String ping = inLab(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", SERVER_IP);
            assertTrue(ping.contains("3 packets transmitted, 3 received"), ping);

            JsonNode tcp = JSON.readTree(client(SERVER_IP, "-n", Long.toString(BYTES), "--verify", "-J"));
            assertEquals(BYTES, bytes(tcp, "sum_sent"));
            assertEquals(BYTES, bytes(tcp, "sum_received"));

            JsonNode udp = JSON.readTree(client(SERVER_IP, "-u", "-b", "20M", "-t", "1", "--verify", "-J"));
            long udpSent = udp.get("end").get("sum_sent").get("packets").longValue();
            assertTrue(udpSent > 1000, "sent " + udpSent);

            JsonNode iperf3 = JSON.readTree(inLab(30, "iperf3", "-c", SERVER_IP, "-n", Long.toString(BLOCKS_BYTES),
                    "-J"));
            long iperf3Bytes = bytes(iperf3, "sum_sent");
            assertTrue(iperf3Bytes >= BLOCKS_BYTES, "iperf3 sent " + iperf3Bytes);
            assertEquals(iperf3Bytes, bytes(iperf3, "sum_received"), "what the tapir server reported to iperf3");

            // Two UDP streams: the server's two sockets share its port on the stack, each connected to its stream.
            JsonNode iperf3Udp = JSON.readTree(inLab(30, "iperf3", "-c", SERVER_IP, "-u", "-b", "20M", "-t", "1",
                    "-P", "2", "-J"));
            long iperf3Sent = iperf3Udp.get("end").get("sum").get("packets").longValue();

            List<JsonNode> onServer = serverResults(server, 4);
            assertEquals(BYTES, bytes(onServer.get(0), "sum_received"), "tapir client -> tapir server");
            assertVerified(onServer.get(0), BYTES);
            JsonNode udpSum = onServer.get(1).get("end").get("sum");
            assertEquals(udpSent, udpSum.get("packets").longValue() + udpSum.get("lost_packets").longValue());
            assertTrue(udpSum.get("lost_packets").longValue() <= udpSent / 100, udpSum.toString());
            assertEquals(udpSum.get("bytes").longValue(), bytes(udp, "sum_received"));
            // Every datagram's payload after iperf3's 12-byte header (the CLI asks for 32-bit counters) was checked.
            assertVerified(onServer.get(1), udpSum.get("bytes").longValue() - 12 * udpSum.get("packets").longValue());
            assertEquals(iperf3Bytes, bytes(onServer.get(2), "sum_received"), "iperf3 -c -> tapir server");
            JsonNode iperf3UdpSum = onServer.get(3).get("end").get("sum");
            assertTrue(iperf3Sent > 2000, "iperf3 -u -P 2 sent " + iperf3Sent);
            assertEquals(2, onServer.get(3).get("end").get("streams").size());
            assertEquals(iperf3Sent, iperf3UdpSum.get("packets").longValue()
                    + iperf3UdpSum.get("lost_packets").longValue(), "iperf3 -c -u -> tapir server");
        }
    }

    @Test
    void tapirIperf2ServerServesIperfClient() throws Exception {
        try (ChildProcess server = server("--iperf2", "--csv")) {
            String iperf = inLab(30, "iperf", "-c", SERVER_IP, "-n", Long.toString(BYTES), "-y", "C");
            assertEquals(BYTES, csvBytes(iperf));
            for (int i = 0; i < 500 && server.stdout().isBlank(); i++) {
                Thread.sleep(20);
            }
            assertEquals(BYTES, csvBytes(server.stdout()));
        }
    }

    @Test
    void tapirClientAgainstKernelIperf3AndIperfServers() throws Exception {
        try (ChildProcess iperf3 = startInLab("iperf3", "-s", "-1", "-B", HOST_IP, "-J")) {
            awaitListening(5201);
            JsonNode tapir = JSON.readTree(client(HOST_IP, "-n", Long.toString(BYTES), "-J"));
            assertEquals(0, iperf3.await(20), iperf3.stderr());
            assertEquals(BYTES, bytes(tapir, "sum_sent"));
            // iperf3's server stops counting at TEST_END (iperf-wire.md); tapir reports what it counted.
            long counted = bytes(JSON.readTree(iperf3.stdout()), "sum_received");
            assertEquals(counted, bytes(tapir, "sum_received"));
            assertTrue(counted > 0 && counted <= BYTES, "iperf3 -s counted " + counted);
        }
        try (ChildProcess iperf = startInLab("iperf", "-s", "-B", HOST_IP, "-y", "C")) {
            awaitListening(5001);
            String tapir = client(HOST_IP, "--iperf2", "-n", Long.toString(BYTES), "--csv");
            assertEquals(BYTES, csvBytes(tapir));
            for (int i = 0; i < 500 && iperf.stdout().isBlank(); i++) {
                Thread.sleep(20);
            }
            assertEquals(BYTES, csvBytes(iperf.stdout()));
        }
    }

    /**
     * nftables drops 1 % of frames at random on the bridge (forward hook: tap to tap; input and output: the host's
     * side); TCP still delivers every byte, tapir to tapir and iperf3 -c to tapir, and the rules did drop frames.
     */
    @Test
    void tcpCompletesThroughOnePercentRandomLossOnTheBridge() throws Exception {
        String table = "tapirloss" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
        StringBuilder rules = new StringBuilder("table bridge " + table + " {\n");
        for (String hook : List.of("forward", "input", "output")) {
            rules.append("  chain ").append(hook).append(" { type filter hook ").append(hook)
                    .append(" priority 0; numgen random mod 100 < 1 counter drop; }\n");
        }
        rules.append("}\n");
        Path file = Files.createTempFile("tapir-nft-", ".nft");
        try {
            Files.writeString(file, rules);
            inLab(10, "nft", "-f", file.toString());
            long bytes = 8L * 1024 * 1024 + 777;
            // Plain MTU-sized frames, so the rule drops 1 % of wire frames (a TSO super-frame would be dropped whole).
            // The client makes a system call per frame, the server batches through io_uring: both paths under loss.
            try (ChildProcess server = server("-J", "--no-offload")) {
                JsonNode tapir = JSON.readTree(client(SERVER_IP, "-n", Long.toString(bytes), "--verify", "-J",
                        "--no-offload", "--no-io-uring"));
                assertEquals(bytes, bytes(tapir, "sum_sent"));
                assertEquals(bytes, bytes(tapir, "sum_received"));
                JsonNode iperf3 = JSON.readTree(inLab(60, "iperf3", "-c", SERVER_IP, "-n", "8M", "-J"));
                long iperf3Bytes = bytes(iperf3, "sum_sent");
                assertTrue(iperf3Bytes >= 8L << 20, "iperf3 sent " + iperf3Bytes);
                List<JsonNode> onServer = serverResults(server, 2);
                assertEquals(bytes, bytes(onServer.get(0), "sum_received"));
                assertVerified(onServer.get(0), bytes);
                assertEquals(iperf3Bytes, bytes(onServer.get(1), "sum_received"));
                assertTrue(bytes(tapir, "sum_sent") > 0 && tapir.get("end").get("sum_sent").get("retransmits")
                        .longValue() > 0, "tapir's sender saw the loss");
            }
            String listed = inLab(10, "nft", "list", "table", "bridge", table);
            Matcher m = Pattern.compile("counter packets (\\d+)").matcher(listed);
            long dropped = 0;
            while (m.find()) {
                dropped += Long.parseLong(m.group(1));
            }
            assertTrue(dropped > 0, listed);
        } finally {
            Files.deleteIfExists(file);
            inLab(10, "nft", "delete", "table", "bridge", table);
        }
    }

    /**
     * A persistent tap created with {@code --owner} for uid 65534 (nobody): that user, with no capabilities, runs a
     * tapir client on it. /dev/net/tun is 0600 here, so the user first gets one clear line (EACCES; not checked where
     * the node is open to all, as on most distributions), then runs through
     * a 0666 node of the same device bind-mounted over /dev/net/tun in a private mount namespace; another uid gets
     * one clear line for EPERM.
     */
    @Test
    void nonRootOwnerRunsTapirOnPersistentTap(@TempDir Path dir) throws Exception {
        assertEquals(0, Main.run("tap", "create", "towner0", "--persist", "--bridge", TapLab.BRIDGE, "--owner",
                "65534", "--netns", ns));
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path node = dir.resolve("tun");
            ChildProcess.run(10, "mknod", "-m", "0666", node.toString(), "c", "10", "200");
            List<String> java = unprivilegedJava(dir);
            String[] client = {"client", HOST_IP, "--tap", "towner0", "--ip", "192.168.122.30/24", "-n", "1M",
                "-i", "0", "-J"};

            boolean tunOpenToAll = PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(Tun.DEVICE)))
                    .endsWith("rw-");
            if (!tunOpenToAll) {
                try (ChildProcess denied = asUser(65534, null, java, client)) {
                    assertEquals(1, denied.await(30));
                    assertEquals("tapir: cannot open /dev/net/tun: permission denied (run as root, or let this user"
                            + " open it: see README, non-root taps) [open: EACCES]", denied.stderr().strip());
                }
            }
            try (ChildProcess other = asUser(65533, node, java, client)) {
                assertEquals(1, other.await(30));
                assertEquals("tapir: not allowed to attach to tap towner0: it belongs to another user (run as root or"
                        + " as its owner) [TUNSETIFF: EPERM]", other.stderr().strip());
            }
            try (ChildProcess iperf3 = startInLab("iperf3", "-s", "-1", "-B", HOST_IP, "-J")) {
                awaitListening(5201);
                try (ChildProcess owner = asUser(65534, node, java, client)) {
                    assertEquals(0, owner.await(60), owner.stderr());
                    JsonNode result = JSON.readTree(owner.stdout());
                    assertEquals(1L << 20, bytes(result, "sum_sent"));
                    assertEquals(0, iperf3.await(20), iperf3.stderr());
                    assertEquals(bytes(JSON.readTree(iperf3.stdout()), "sum_received"),
                            bytes(result, "sum_received"));
                }
            }
        } finally {
            assertEquals(0, Main.run("tap", "delete", "towner0", "--netns", ns));
        }
    }

    /**
     * {@code ip netns exec NS}, then (when {@code tunNode} is given) a private mount namespace with that node over
     * /dev/net/tun, then {@code setpriv} to {@code uid} with no groups and no capabilities, then {@code java ARGS}.
     */
    private static ChildProcess asUser(int uid, Path tunNode, List<String> java, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns, "unshare", "--mount",
                "--propagation", "private", "sh", "-c",
                (tunNode == null ? "" : "mount --bind \"$0\" /dev/net/tun && ") + "exec \"$@\"",
                tunNode == null ? "-" : tunNode.toString(), "setpriv", "--reuid=" + uid, "--regid=" + uid,
                "--clear-groups"));
        command.addAll(java);
        command.addAll(List.of(args));
        return ChildProcess.start(command);
    }

    /** {@code java ... dev.tapir.cli.Main} with this test's class path copied where any user can read it. */
    private static List<String> unprivilegedJava(Path dir) throws Exception {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.exists(source)) {
                continue;
            }
            Path target = dir.resolve("cp" + i++ + (Files.isDirectory(source) ? "" : ".jar"));
            try (Stream<Path> files = Files.walk(source)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path to = Files.isDirectory(source) ? target.resolve(source.relativize(f).toString()) : target;
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(to);
                        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        Files.copy(f, to);
                        Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
                    }
                }
            }
            entries.add(target.toString());
        }
        return List.of(ProcessHandle.current().info().command().orElseThrow(), "-XX:-UsePerfData",
                "--enable-native-access=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", String.join(java.io.File.pathSeparator, entries), Main.class.getName());
    }

    /** Each stack option mistake gives one line on stderr and a non-zero exit, before or at attach time. */
    @Test
    void stackOptionMistakesGiveOneLine() throws Exception {
        String lab = " in network namespace " + ns;
        assertEquals("tapir: --tap needs --ip ADDRESS/PREFIX for the userspace stack, e.g. --ip 192.168.122.10/24",
                mistake("client", SERVER_IP, "--tap", "tap1"));
        assertEquals("tapir: --ip, --gateway, --netns, --mac and --no-offload choose the userspace stack's settings: "
                + "give --tap too",
                mistake("server", "--ip", "10.0.0.1/24"));
        assertEquals("tapir: --ip/--gateway/--mac: want address/prefix such as 10.0.0.1/24, not 192.168.122.20",
                mistake("client", SERVER_IP, "--netns", ns, "--tap", "tap1", "--ip", "192.168.122.20"));
        assertEquals("tapir: 10.9.9.9 is not on " + TapLab.CLIENT_ADDRESS
                + " and the userspace stack has no --gateway to reach it",
                mistake("client", "10.9.9.9", "--netns", ns, "--tap", "tap1", "--ip", TapLab.CLIENT_ADDRESS));
        assertEquals("tapir: no tap named tapnone" + lab + " (create one with: tapir tap create tapnone --persist ...)",
                mistake("client", SERVER_IP, "--netns", ns, "--tap", "tapnone", "--ip", TapLab.CLIENT_ADDRESS));
        assertEquals("tapir: " + TapLab.BRIDGE + lab + " is a bridge, not a tap",
                mistake("client", SERVER_IP, "--netns", ns, "--tap", TapLab.BRIDGE, "--ip", TapLab.CLIENT_ADDRESS));
        assertEquals("tapir: network namespace " + ns + "x does not exist",
                mistake("server", "--netns", ns + "x", "--tap", "tap0", "--ip", TapLab.SERVER_ADDRESS));
        try (ChildProcess server = server("-J")) {
            assertEquals("tapir: tap tap0" + lab + " is in use by another process [TUNSETIFF: EBUSY]",
                    mistake("client", SERVER_IP, "--netns", ns, "--tap", "tap0", "--ip", TapLab.CLIENT_ADDRESS));
        }
    }

    /** Runs the CLI in this JVM; returns its stderr, which must be one line, after a non-zero exit. */
    private static String mistake(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setErr(saved);
        }
        String err = bytes.toString(StandardCharsets.UTF_8).strip();
        assertTrue(code != 0, String.join(" ", args));
        assertEquals(1, err.lines().count(), err);
        return err;
    }

    /** Waits until a TCP listener on {@code port} shows in the lab's /proc/net/tcp (read from a thread inside it). */
    static void awaitListening(int port) throws Exception {
        String local = String.format(":%04X 00000000:0000 0A", port);
        for (int i = 0; i < 500; i++) {
            if (Namespaces.callIn(ns, () -> Files.readString(Path.of("/proc/thread-self/net/tcp"))).contains(local)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("nothing listens on " + port + " in " + ns);
    }
}
