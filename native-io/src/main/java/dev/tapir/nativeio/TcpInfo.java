package dev.tapir.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct tcp_info} of linux/tcp.h (read with {@code getsockopt(IPPROTO_TCP, TCP_INFO)}), up to
 * {@code tcpi_snd_wnd}. The kernel only appends fields, so these offsets hold for every newer kernel; an older one
 * fills fewer bytes (the getsockopt length says how many). Times are microseconds, sizes bytes, cwnd segments.
 */
public final class TcpInfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_BYTE.withName("tcpi_state"),
            JAVA_BYTE.withName("tcpi_ca_state"),
            JAVA_BYTE.withName("tcpi_retransmits"),
            JAVA_BYTE.withName("tcpi_probes"),
            JAVA_BYTE.withName("tcpi_backoff"),
            JAVA_BYTE.withName("tcpi_options"),
            JAVA_BYTE.withName("tcpi_wscale"), // snd_wscale:4, rcv_wscale:4
            JAVA_BYTE.withName("tcpi_flags"), // delivery_rate_app_limited:1, fastopen_client_fail:2
            JAVA_INT.withName("tcpi_rto"),
            JAVA_INT.withName("tcpi_ato"),
            JAVA_INT.withName("tcpi_snd_mss"),
            JAVA_INT.withName("tcpi_rcv_mss"),
            JAVA_INT.withName("tcpi_unacked"),
            JAVA_INT.withName("tcpi_sacked"),
            JAVA_INT.withName("tcpi_lost"),
            JAVA_INT.withName("tcpi_retrans"),
            JAVA_INT.withName("tcpi_fackets"),
            JAVA_INT.withName("tcpi_last_data_sent"),
            JAVA_INT.withName("tcpi_last_ack_sent"),
            JAVA_INT.withName("tcpi_last_data_recv"),
            JAVA_INT.withName("tcpi_last_ack_recv"),
            JAVA_INT.withName("tcpi_pmtu"),
            JAVA_INT.withName("tcpi_rcv_ssthresh"),
            JAVA_INT.withName("tcpi_rtt"),
            JAVA_INT.withName("tcpi_rttvar"),
            JAVA_INT.withName("tcpi_snd_ssthresh"),
            JAVA_INT.withName("tcpi_snd_cwnd"),
            JAVA_INT.withName("tcpi_advmss"),
            JAVA_INT.withName("tcpi_reordering"),
            JAVA_INT.withName("tcpi_rcv_rtt"),
            JAVA_INT.withName("tcpi_rcv_space"),
            JAVA_INT.withName("tcpi_total_retrans"),
            JAVA_LONG.withName("tcpi_pacing_rate"),
            JAVA_LONG.withName("tcpi_max_pacing_rate"),
            JAVA_LONG.withName("tcpi_bytes_acked"),
            JAVA_LONG.withName("tcpi_bytes_received"),
            JAVA_INT.withName("tcpi_segs_out"),
            JAVA_INT.withName("tcpi_segs_in"),
            JAVA_INT.withName("tcpi_notsent_bytes"),
            JAVA_INT.withName("tcpi_min_rtt"),
            JAVA_INT.withName("tcpi_data_segs_in"),
            JAVA_INT.withName("tcpi_data_segs_out"),
            JAVA_LONG.withName("tcpi_delivery_rate"),
            JAVA_LONG.withName("tcpi_busy_time"),
            JAVA_LONG.withName("tcpi_rwnd_limited"),
            JAVA_LONG.withName("tcpi_sndbuf_limited"),
            JAVA_INT.withName("tcpi_delivered"),
            JAVA_INT.withName("tcpi_delivered_ce"),
            JAVA_LONG.withName("tcpi_bytes_sent"),
            JAVA_LONG.withName("tcpi_bytes_retrans"),
            JAVA_INT.withName("tcpi_dsack_dups"),
            JAVA_INT.withName("tcpi_reord_seen"),
            JAVA_INT.withName("tcpi_rcv_ooopack"),
            JAVA_INT.withName("tcpi_snd_wnd"));

    /** TCP states as in {@code tcpi_state} (include/net/tcp_states.h). */
    public static final int TCP_ESTABLISHED = 1;
    public static final int TCP_CLOSE = 7;
    public static final int TCP_LISTEN = 10;

    public static final VarHandle STATE = field("tcpi_state");
    public static final VarHandle RETRANSMITS = field("tcpi_retransmits");
    public static final VarHandle RTO = field("tcpi_rto");
    public static final VarHandle SND_MSS = field("tcpi_snd_mss");
    public static final VarHandle RCV_MSS = field("tcpi_rcv_mss");
    public static final VarHandle UNACKED = field("tcpi_unacked");
    public static final VarHandle LOST = field("tcpi_lost");
    public static final VarHandle PMTU = field("tcpi_pmtu");
    public static final VarHandle RTT = field("tcpi_rtt");
    public static final VarHandle RTTVAR = field("tcpi_rttvar");
    public static final VarHandle SND_SSTHRESH = field("tcpi_snd_ssthresh");
    public static final VarHandle SND_CWND = field("tcpi_snd_cwnd");
    public static final VarHandle ADVMSS = field("tcpi_advmss");
    public static final VarHandle TOTAL_RETRANS = field("tcpi_total_retrans");
    public static final VarHandle PACING_RATE = field("tcpi_pacing_rate");
    public static final VarHandle BYTES_ACKED = field("tcpi_bytes_acked");
    public static final VarHandle BYTES_RECEIVED = field("tcpi_bytes_received");
    public static final VarHandle SEGS_OUT = field("tcpi_segs_out");
    public static final VarHandle SEGS_IN = field("tcpi_segs_in");
    public static final VarHandle MIN_RTT = field("tcpi_min_rtt");
    public static final VarHandle DELIVERY_RATE = field("tcpi_delivery_rate");
    public static final VarHandle BYTES_SENT = field("tcpi_bytes_sent");
    public static final VarHandle BYTES_RETRANS = field("tcpi_bytes_retrans");
    public static final VarHandle SND_WND = field("tcpi_snd_wnd");

    private TcpInfo() {
    }

    private static VarHandle field(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    /** An unsigned 8-bit field ({@link #STATE}, {@link #RETRANSMITS}) of the structure at the start of {@code info}. */
    public static int u8(VarHandle field, MemorySegment info) {
        return Byte.toUnsignedInt((byte) field.get(info, 0L));
    }

    /** An unsigned 32-bit field of the structure at the start of {@code info}. */
    public static long u32(VarHandle field, MemorySegment info) {
        return Integer.toUnsignedLong((int) field.get(info, 0L));
    }

    /** A 64-bit field of the structure at the start of {@code info}. */
    public static long u64(VarHandle field, MemorySegment info) {
        return (long) field.get(info, 0L);
    }
}
