package dev.tapir.engine.stack.phy;

/**
 * What a {@link Device} does for the stack beyond moving frames: completing partial checksums and cutting TCP
 * super-frames into segments on transmit (TSO), and handing up frames larger than the MTU on receive (GRO, a peer's
 * super-frames). A device that offers none moves MTU-sized frames with full checksums only.
 *
 * @param transmitChecksumPartial the link completes an L4 checksum marked with {@link Device#offloadTransmit}
 * @param maxSuperFrame largest TCPv4 super-frame (Ethernet header included) the link segments, 0 without TSO
 * @param maxReceiveFrame largest frame {@link Device#receive} may hand over (MTU + Ethernet header without offloads)
 */
public record DeviceOffloads(boolean transmitChecksumPartial, int maxSuperFrame, int maxReceiveFrame) {
    public DeviceOffloads {
        if (maxSuperFrame < 0 || maxReceiveFrame <= 0) {
            throw new IllegalArgumentException("bad frame sizes: " + maxSuperFrame + ", " + maxReceiveFrame);
        }
        if (maxSuperFrame > 0 && !transmitChecksumPartial) {
            throw new IllegalArgumentException("TCP segmentation needs partial checksums");
        }
    }

    /** No offloads on a link of {@code mtu}: plain frames both ways. */
    public static DeviceOffloads none(int mtu) {
        return new DeviceOffloads(false, 0, mtu + 14);
    }

    /** True when the link cuts TCP super-frames into MTU-sized segments. */
    public boolean tcpSegmentation() {
        return maxSuperFrame > 0;
    }
}
