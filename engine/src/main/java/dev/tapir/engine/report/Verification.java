package dev.tapir.engine.report;

/**
 * What {@code --verify} found on one or both ends: how many payload bytes were compared with the seeded pattern and
 * the first one that differed.
 *
 * @param seed the pattern's seed (reproduces the run)
 * @param bytesChecked payload bytes compared
 * @param stream id of the stream with the first mismatch, 0 when none
 * @param firstBadOffset offset of that byte in its stream (headers included), -1 when every byte matched
 * @param expected the pattern's byte there (0..255)
 * @param actual the byte received there (0..255)
 */
public record Verification(long seed, long bytesChecked, int stream, long firstBadOffset, int expected, int actual) {
    public static Verification clean(long seed, long bytesChecked) {
        return new Verification(seed, bytesChecked, 0, -1, 0, 0);
    }

    public boolean failed() {
        return firstBadOffset >= 0;
    }

    /** Both ends' checks together: bytes add up, this end's mismatch comes first. */
    public Verification plus(Verification other) {
        Verification bad = failed() ? this : other;
        return new Verification(seed, bytesChecked + other.bytesChecked, bad.stream, bad.firstBadOffset, bad.expected,
                bad.actual);
    }

    /** One line for people: "verify: N bytes checked, no mismatch (seed S)" or where the first mismatch was. */
    public String line() {
        if (!failed()) {
            return "verify: " + bytesChecked + " bytes checked, no mismatch (seed " + seed + ")";
        }
        return "verify: mismatch in stream " + stream + " at byte offset " + firstBadOffset
                + String.format(": expected 0x%02x, got 0x%02x", expected, actual) + " (" + bytesChecked
                + " bytes checked, seed " + seed + ")";
    }
}
