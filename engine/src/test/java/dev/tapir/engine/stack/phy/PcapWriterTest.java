package dev.tapir.engine.stack.phy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.stack.TestFrames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {
    @TempDir
    Path dir;

    @Test
    void capturesSentAndReceivedFramesInClassicPcapFormat() throws Exception {
        Path file = dir.resolve("capture.pcap");
        MemoryLink link = new MemoryLink(1500);
        PcapWriter capture = new PcapWriter(link.endA(), file, 1_700_000_000_000_000_000L);
        TestFrames frames = new TestFrames();
        // Sent: 300 UDP frames of growing size (more than one buffer's worth is not needed: the flush on close counts).
        int sentBytes = 0;
        for (int i = 0; i < 300; i++) {
            int length = TestFrames.L4 + 8 + i;
            int at = capture.claim(length);
            frames.udp(capture.transmitBuffer(), at, 0x020000000001L, 0x020000000002L, 0x0a000001, 0x0a000002, 1000,
                    2000, i);
            capture.commit(i * 1_000L, at);
            sentBytes += length;
        }
        // An aborted claim is not captured.
        capture.abort(capture.claim(100));
        // Received: 5 ICMP echo requests from the other end.
        for (int i = 0; i < 5; i++) {
            int at = link.endB().claim(TestFrames.L4 + 8 + 32);
            frames.echoRequest(link.endB().transmitBuffer(), at, 2, 1, 0x0a000002, 0x0a000001, 1, i, 32);
            link.endB().commit(0, at);
        }
        int[] got = new int[1];
        assertEquals(5, capture.receive(2_000_000, (b, o, l, f) -> got[0]++, 10));
        assertEquals(5, got[0]);
        assertEquals(305, capture.records());
        capture.close();

        ByteBuffer pcap = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PcapWriter.MAGIC_MICROSECONDS, pcap.getInt(0));
        assertEquals(2, pcap.getShort(4));
        assertEquals(4, pcap.getShort(6));
        assertEquals(262144, pcap.getInt(16), "snapshot length holds a 64 KiB super-frame");
        assertEquals(PcapWriter.LINKTYPE_ETHERNET, pcap.getInt(20));
        int position = PcapWriter.FILE_HEADER_LENGTH;
        int records = 0;
        int recordedSentBytes = 0;
        while (position < pcap.limit()) {
            int seconds = pcap.getInt(position);
            int micros = pcap.getInt(position + 4);
            int captured = pcap.getInt(position + 8);
            int original = pcap.getInt(position + 12);
            assertEquals(original, captured);
            assertTrue(micros >= 0 && micros < 1_000_000);
            assertEquals(1_700_000_000, seconds);
            if (records < 300) {
                assertEquals(TestFrames.L4 + 8 + records, captured);
                recordedSentBytes += captured;
            } else {
                assertEquals(TestFrames.L4 + 8 + 32, captured);
                assertEquals(2000, micros);
            }
            position += PcapWriter.RECORD_HEADER_LENGTH + captured;
            records++;
        }
        assertEquals(pcap.limit(), position);
        assertEquals(305, records);
        assertEquals(sentBytes, recordedSentBytes);

        Path tshark = Path.of("/usr/bin/tshark");
        if (Files.isExecutable(tshark)) {
            assertEquals(305, tsharkCount(tshark, file, ""));
            assertEquals(300, tsharkCount(tshark, file, "udp.srcport == 1000 && udp.checksum.status == 1"));
            assertEquals(5, tsharkCount(tshark, file, "icmp.type == 8 && icmp.checksum.status == 1 && ip.checksum.status == 1"));
        }
    }

    /** Frames tshark decodes matching {@code filter} (checksum status 1 = good, with validation switched on). */
    private static long tsharkCount(Path tshark, Path file, String filter) throws IOException, InterruptedException {
        ProcessBuilder builder = filter.isEmpty()
                ? new ProcessBuilder(tshark.toString(), "-n", "-r", file.toString())
                : new ProcessBuilder(tshark.toString(), "-n", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-r", file.toString(),
                        "-Y", filter);
        Process process = builder.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        return output.lines().filter(line -> !line.isBlank() && !line.contains("Running as user")).count();
    }
}
