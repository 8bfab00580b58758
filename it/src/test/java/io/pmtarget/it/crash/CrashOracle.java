package io.pmtarget.it.crash;

import io.pmtarget.it.crash.BlockFormat.Kind;
import io.pmtarget.it.crash.BlockFormat.Observed;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a LUN image read back after a crash against a {@link WriteLog}. Per logical block:
 * <ul>
 *   <li>never torn, garbage or misplaced ({@link BlockFormat} decodes it as zeros or a version);</li>
 *   <li>if some write of it was durable (acknowledged FUA write, or acknowledged before the last
 *       acknowledged SYNCHRONIZE CACHE: SBC-4 5.27, 5.43), it holds the newest durable version or
 *       a version written after it;</li>
 *   <li>else it holds its content from before the round or one of the versions sent to it.</li>
 * </ul>
 * The content "from before the round" is what the previous round's check read, kept in
 * {@link #before}: every round runs on the LUN the previous one left.
 */
final class CrashOracle {

    /** Result of one check. */
    record Verdict(long blocksChecked, long blocksDurable, long blocksNewestAck, long violationCount,
                   List<String> violations) {
        boolean ok() {
            return violationCount == 0;
        }

        /** The verdict over two disjoint ranges judged one after the other. */
        Verdict plus(Verdict o) {
            List<String> all = new ArrayList<>(violations);
            all.addAll(o.violations);
            return new Verdict(blocksChecked + o.blocksChecked, blocksDurable + o.blocksDurable,
                    blocksNewestAck + o.blocksNewestAck, violationCount + o.violationCount, all);
        }
    }

    private static final int VIOLATIONS_SHOWN_MAX = 20;

    /** lba -> what the LUN held after the last check (absent = zeros: a fresh LUN). */
    private final Map<Long, Observed> before = new HashMap<>();

    /**
     * @param image  the LUN's blocks [firstLba, firstLba + image.length / blockBytes)
     */
    Verdict check(int round, WriteLog log, byte[] image, long firstLba, int blockBytes) {
        Map<Long, List<WriteLog.Write>> byLba = writesByLba(log);
        List<String> violations = new ArrayList<>();
        long blocks = image.length / blockBytes;
        long durableCount = 0;
        long newestAckCount = 0;
        long violationCount = 0;
        for (int i = 0; i < blocks; i++) {
            long lba = firstLba + i;
            Observed seen = BlockFormat.decode(image, i * blockBytes, blockBytes, lba);
            List<WriteLog.Write> versions = byLba.getOrDefault(lba, List.of());
            long durableSeq = 0;
            long newestAckedSeq = 0;
            for (WriteLog.Write w : versions) {
                if (log.durable(w)) {
                    durableSeq = w.seq();
                }
                if (log.acked(w.seq())) {
                    newestAckedSeq = w.seq();
                }
            }
            durableCount += durableSeq > 0 ? 1 : 0;
            newestAckCount += newestAckedSeq > 0 && seen.kind() == Kind.VERSION && seen.round() == round
                    && seen.seq() == newestAckedSeq ? 1 : 0;
            String problem = judge(round, lba, seen, versions, durableSeq);
            if (problem != null) {
                violationCount++;
                if (violations.size() < VIOLATIONS_SHOWN_MAX) {
                    violations.add("lba " + lba + ": " + problem);
                }
            }
            before.put(lba, seen);
        }
        return new Verdict(blocks, durableCount, newestAckCount, violationCount, violations);
    }

    private String judge(int round, long lba, Observed seen, List<WriteLog.Write> versions, long durableSeq) {
        if (seen.kind() == Kind.GARBAGE) {
            return seen.describe();
        }
        boolean thisRound = seen.kind() == Kind.VERSION && seen.round() == round;
        if (thisRound) {
            WriteLog.Write w = versions.stream().filter(v -> v.seq() == seen.seq()).findFirst().orElse(null);
            if (w == null) {
                return "holds " + seen.describe() + ", which was never sent to this lba";
            }
            if (seen.index() != lba - w.lba()) {
                return "holds " + seen.describe() + " with block index " + seen.index() + ", expected "
                        + (lba - w.lba());
            }
        }
        if (durableSeq > 0) {
            if (!thisRound || seen.seq() < durableSeq) {
                return "lost a durable write: seq " + durableSeq + " was acknowledged durable (FUA or before"
                        + " the last acknowledged SYNCHRONIZE CACHE), the LUN holds " + seen.describe();
            }
            return null;
        }
        if (thisRound) {
            return null;
        }
        Observed old = before.getOrDefault(lba, Observed.ZERO);
        if (!sameVersion(old, seen)) {
            return "holds " + seen.describe() + ", neither its content before the round (" + old.describe()
                    + ") nor a version written in round " + round;
        }
        return null;
    }

    private static boolean sameVersion(Observed a, Observed b) {
        return a.kind() == b.kind() && a.round() == b.round() && a.seq() == b.seq() && a.index() == b.index();
    }

    private static Map<Long, List<WriteLog.Write>> writesByLba(WriteLog log) {
        Map<Long, List<WriteLog.Write>> byLba = new HashMap<>();
        for (WriteLog.Write w : log.writes().values()) {
            for (int i = 0; i < w.blocks(); i++) {
                byLba.computeIfAbsent(w.lba() + i, k -> new ArrayList<>()).add(w);
            }
        }
        return byLba;
    }
}
