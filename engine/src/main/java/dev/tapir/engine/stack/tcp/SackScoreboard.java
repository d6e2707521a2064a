package dev.tapir.engine.stack.tcp;

/**
 * The sender's view of loss during recovery (RFC 6675): the ranges the peer SACKed above SND.UNA, HighRxt (the end of
 * what this recovery already retransmitted), and from them the holes presumed lost and the pipe. Positions are the
 * socket's 64-bit send offsets. A hole is lost when more than (DupThresh - 1) * SMSS bytes are SACKed above it; the
 * first segment at SND.UNA counts as lost throughout recovery, which also gives NewReno's partial-ACK retransmission
 * (RFC 6582) when the peer does not SACK.
 */
public final class SackScoreboard {
    private static final int DUP_THRESH = 3;

    private final Assembler sacked;
    private long highRxt;
    private long lostStart;
    private long lostEnd;

    public SackScoreboard(int maxRanges) {
        this.sacked = new Assembler(maxRanges);
    }

    /** Records a SACK block; blocks that would overflow the bound are ignored (losing only precision). */
    public void addSacked(long start, long end) {
        sacked.add(start, end);
    }

    /** SND.UNA moved to {@code una}: forget what lies below it. */
    public void acknowledge(long una) {
        sacked.trimBelow(una);
    }

    public void clear() {
        sacked.clear();
        highRxt = 0;
    }

    public long sackedBytes() {
        return sacked.totalBytes();
    }

    public long highRxt() {
        return highRxt;
    }

    public void highRxt(long position) {
        highRxt = position;
    }

    /** True if the segment at {@code una} is lost by the SACK rule (RFC 6675 IsLost), starting recovery early. */
    public boolean firstSegmentLost(long una, int mss) {
        return sacked.count() > 0 && sacked.totalBytes() > (long) (DUP_THRESH - 1) * mss;
    }

    /** If {@code position} lies in a SACKed range, its end; otherwise {@code position}. */
    public long skipSacked(long position) {
        int i = sacked.firstEndingAfter(position);
        return i < sacked.count() && sacked.start(i) <= position ? sacked.end(i) : position;
    }

    /** Start of the first SACKed range above {@code position}, or {@code limit} if none comes before it. */
    public long nextSackedStart(long position, long limit) {
        int i = sacked.firstEndingAfter(position);
        return i < sacked.count() ? Math.min(limit, Math.max(position, sacked.start(i))) : limit;
    }

    /**
     * RFC 6675 SetPipe: bytes presumed in the network, {@code max - una} less what was SACKed and what is lost but not
     * yet retransmitted.
     */
    public long pipe(long una, long max, int mss) {
        long lostNotRetransmitted = 0;
        long above = sacked.totalBytes();
        long prev = una;
        int n = sacked.count();
        for (int i = 0; i <= n; i++) {
            long holeEnd = i < n ? sacked.start(i) : max;
            if (holeEnd > prev) {
                long lost = lostEndOfHole(una, prev, holeEnd, above, mss, i < n);
                lostNotRetransmitted += Math.max(0, lost - Math.max(prev, highRxt));
            }
            if (i < n) {
                above -= sacked.end(i) - sacked.start(i);
                prev = sacked.end(i);
            }
        }
        return Math.max(0, (max - una) - sacked.totalBytes() - lostNotRetransmitted);
    }

    /**
     * RFC 6675 NextSeg rule 1: finds the first lost byte at or above HighRxt; returns true and sets
     * {@link #lostStart()}/{@link #lostEnd()} to the lost run, or false if nothing lost is left to resend.
     */
    public boolean nextLost(long una, long max, int mss) {
        long above = sacked.totalBytes();
        long prev = una;
        int n = sacked.count();
        for (int i = 0; i <= n; i++) {
            long holeEnd = i < n ? sacked.start(i) : max;
            if (holeEnd > prev) {
                long lost = lostEndOfHole(una, prev, holeEnd, above, mss, i < n);
                long start = Math.max(prev, highRxt);
                if (start < lost) {
                    lostStart = start;
                    lostEnd = lost;
                    return true;
                }
            }
            if (i < n) {
                above -= sacked.end(i) - sacked.start(i);
                prev = sacked.end(i);
            }
        }
        return false;
    }

    public long lostStart() {
        return lostStart;
    }

    public long lostEnd() {
        return lostEnd;
    }

    /** End of the lost part of hole {@code [start, end)}: all of it if enough is SACKed above, else the segment at una. */
    private static long lostEndOfHole(long una, long start, long end, long sackedAbove, int mss, boolean sackedAfter) {
        if (sackedAfter && sackedAbove > (long) (DUP_THRESH - 1) * mss) {
            return end;
        }
        return start == una ? Math.min(end, una + mss) : start;
    }
}
