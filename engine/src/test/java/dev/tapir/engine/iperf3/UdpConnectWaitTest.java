package dev.tapir.engine.iperf3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tapir.engine.test.Protocol;
import dev.tapir.engine.transport.kernel.KernelTransport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A tapir client waiting for a UDP stream's connect answer also watches the control connection. A scripted server
 * on loopback takes the client through PARAM_EXCHANGE and CREATE_STREAMS, receives the connect datagram, and then,
 * instead of answering it, speaks on the control connection; the client's control timeout is 20 s, so an answer
 * within a few seconds shows it did not sit out the wait.
 */
class UdpConnectWaitTest {
    private static final int CONTROL_TIMEOUT_MILLIS = 20_000;

    /** What the scripted server says on the control connection once the connect datagram came. */
    @FunctionalInterface
    private interface Script {
        void afterConnectDatagram(Socket control, DataOutputStream out) throws Exception;
    }

    private static Exception clientFailure(Script script) throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket listener = new ServerSocket(0, 1, loopback);
                DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, listener.getLocalPort()))) {
            CompletableFuture<Exception> client = CompletableFuture.supplyAsync(() -> {
                try (KernelTransport transport = new KernelTransport()) {
                    new Iperf3Client(transport, new Iperf3Client.Options(false, false, CONTROL_TIMEOUT_MILLIS)).run(
                            new InetSocketAddress(loopback, listener.getLocalPort()),
                            Iperf3InteropTest.spec(Protocol.UDP, 1200, 0, 1, 1_000_000, 1, false, false), null);
                    return null;
                } catch (Exception e) {
                    return e;
                }
            });
            try (Socket control = listener.accept()) {
                control.setSoTimeout(5_000);
                udp.setSoTimeout(5_000);
                DataInputStream in = new DataInputStream(control.getInputStream());
                DataOutputStream out = new DataOutputStream(control.getOutputStream());
                in.readFully(new byte[Cookie.SIZE]);
                out.writeByte(ControlState.PARAM_EXCHANGE);
                in.readFully(new byte[in.readInt()]);
                out.writeByte(ControlState.CREATE_STREAMS);
                DatagramPacket request = new DatagramPacket(new byte[64], 64);
                udp.receive(request);
                assertEquals(UdpConnect.LENGTH, request.getLength(), "the connect datagram");
                long start = System.nanoTime();
                script.afterConnectDatagram(control, out);
                Exception failure = client.get(10, TimeUnit.SECONDS);
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(tookMillis < 5_000, "answered after " + tookMillis + " ms");
                return failure;
            }
        }
    }

    @Test
    void aServerErrorDuringTheConnectWaitEndsItAtOnce() throws Exception {
        Exception failure = clientFailure((control, out) -> {
            out.writeByte(ControlState.SERVER_ERROR);
            out.writeInt(101);
            out.writeInt(0);
        });
        assertTrue(failure instanceof Iperf3ProtocolException, String.valueOf(failure));
        assertEquals(ServerErrors.describe(101, 0), failure.getMessage());
    }

    @Test
    void testStartInsteadOfALostConnectAnswerStartsTheTest() throws Exception {
        Exception failure = clientFailure((control, out) -> {
            out.writeByte(ControlState.TEST_START);
            out.writeByte(ControlState.TEST_RUNNING);
            // then the scripted server goes away: the client notices in the test, not in the connect wait
            control.close();
        });
        assertTrue(failure instanceof Iperf3ProtocolException, String.valueOf(failure));
        assertTrue(failure.getMessage().contains("while waiting for the end of the test"), failure.getMessage());
    }

    @Test
    void anUnexpectedStateDuringTheConnectWaitIsNamed() throws Exception {
        Exception failure = clientFailure((control, out) -> out.writeByte(ControlState.EXCHANGE_RESULTS));
        assertTrue(failure instanceof Iperf3ProtocolException, String.valueOf(failure));
        assertTrue(failure.getMessage().contains("unexpected state EXCHANGE_RESULTS"), failure.getMessage());
    }
}
