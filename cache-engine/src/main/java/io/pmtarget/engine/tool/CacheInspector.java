package io.pmtarget.engine.tool;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.volume.CacheLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a dm-writecache cache device without writing to it and checks its metadata: superblock fields,
 * entry counts (free, committed, uncommitted, superseded), and inconsistencies: an entry seq above the
 * superblock's (no correct commit leaves one), two committed entries of one sector with equal seq, a sector
 * not aligned to the block size. Superseded entries are not a problem: dm-writecache keeps the older
 * committed entry of an overwritten sector while writeback of it is in flight (and until the free after
 * the commit is durable); recovery keeps the highest seq and frees the others.
 */
public final class CacheInspector {

    /** At most this many problems are listed; the count is still exact. */
    static final int PROBLEMS_LISTED_MAX = 20;

    /** The outcome of an inspection. */
    public record Report(int magic, int version, int blockSizeBytes, long nBlocks, long seqCount,
            long free, long committed, long uncommitted, long superseded, long problemCount, List<String> problems) {

        public boolean consistent() {
            return problemCount == 0;
        }

        public String render() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("magic        0x%08x%n", magic));
            sb.append(String.format("version      %d%n", version));
            sb.append(String.format("block_size   %d%n", blockSizeBytes));
            sb.append(String.format("n_blocks     %d%n", nBlocks));
            sb.append(String.format("seq_count    %d%n", seqCount));
            sb.append(String.format("entries      %d committed, %d uncommitted, %d free%n", committed, uncommitted, free));
            sb.append(String.format("sectors      %d cached, %d superseded committed entries (highest seq wins)%n",
                    committed - superseded, superseded));
            sb.append(String.format("consistency  %s%n", problemCount == 0 ? "ok" : problemCount + " problem(s)"));
            for (String p : problems) {
                sb.append("  ").append(p).append(System.lineSeparator());
            }
            return sb.toString();
        }
    }

    private CacheInspector() {
    }

    public static Report inspect(PmemDevice device) {
        int magic = device.readInt(CacheLayout.SB_MAGIC_OFFSET);
        int version = device.readInt(CacheLayout.SB_VERSION_OFFSET);
        int blockSize = device.readInt(CacheLayout.SB_BLOCK_SIZE_OFFSET);
        long nBlocks = device.readLong(CacheLayout.SB_N_BLOCKS_OFFSET);
        long superSeq = device.readLong(CacheLayout.SB_SEQ_COUNT_OFFSET);
        List<String> problems = new ArrayList<>();
        CacheLayout layout;
        try {
            layout = CacheLayout.load(device, blockSize);
        } catch (IllegalStateException | IllegalArgumentException e) {
            problems.add("superblock: " + e.getMessage());
            return new Report(magic, version, blockSize, nBlocks, superSeq, 0, 0, 0, 0, 1, problems);
        }
        int n = (int) Math.min(layout.nBlocks(), Integer.MAX_VALUE - 8);
        long sectorsPerBlock = blockSize / CacheLayout.SECTOR_BYTES;
        long free = 0;
        long uncommitted = 0;
        long problemCount = 0;
        long[] keys = new long[n];
        long[] seqOf = new long[n];
        int committed = 0;
        for (int e = 0; e < n; e++) {
            long off = CacheLayout.entryOffset(e);
            long sector = device.readLong(off + CacheLayout.ENTRY_SECTOR_OFFSET);
            long seq = device.readLong(off + CacheLayout.ENTRY_SEQ_OFFSET);
            if (seq == CacheLayout.SEQ_FREE) {
                free++;
                continue;
            }
            if (Long.compareUnsigned(seq, superSeq) > 0) {
                problemCount = addProblem(problems, problemCount, "entry " + e + ": seq " + Long.toUnsignedString(seq)
                        + " above the superblock's " + superSeq);
                continue;
            }
            if (seq == superSeq) {
                uncommitted++;
                continue;
            }
            if (sector % sectorsPerBlock != 0 || sector < 0) {
                problemCount = addProblem(problems, problemCount, "entry " + e + ": sector " + sector
                        + " not aligned to the block size " + blockSize);
            }
            seqOf[e] = seq;
            keys[committed++] = e;
        }
        long[] problemAndSuperseded = checkDuplicates(device, keys, committed, seqOf, problems, problemCount);
        return new Report(magic, version, blockSize, layout.nBlocks(), superSeq, free, committed, uncommitted,
                problemAndSuperseded[1], problemAndSuperseded[0], problems);
    }

    /**
     * Sorts committed entries by (sector, seq) and reports neighbours equal in both; returns {problem count,
     * superseded count}, superseded = committed entries of a sector that has one with a higher seq.
     */
    private static long[] checkDuplicates(PmemDevice device, long[] entries, int count, long[] seqOf,
            List<String> problems, long problemCount) {
        long[] sectors = new long[count];
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            int e = (int) entries[i];
            sectors[i] = device.readLong(CacheLayout.entryOffset(e) + CacheLayout.ENTRY_SECTOR_OFFSET);
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> sectors[a] != sectors[b] ? Long.compare(sectors[a], sectors[b])
                : Long.compare(seqOf[(int) entries[a]], seqOf[(int) entries[b]]));
        long count2 = problemCount;
        long superseded = 0;
        for (int k = 1; k < count; k++) {
            int a = order[k - 1];
            int b = order[k];
            if (sectors[a] == sectors[b]) {
                superseded++;
                if (seqOf[(int) entries[a]] == seqOf[(int) entries[b]]) {
                    count2 = addProblem(problems, count2, "entries " + entries[a] + " and " + entries[b]
                            + " hold sector " + sectors[a] + " with the same seq " + seqOf[(int) entries[a]]);
                }
            }
        }
        assert superseded < Math.max(count, 1) : "superseded " + superseded + " of " + count;
        return new long[] {count2, superseded};
    }

    private static long addProblem(List<String> problems, long count, String problem) {
        if (problems.size() < PROBLEMS_LISTED_MAX) {
            problems.add(problem);
        }
        return count + 1;
    }
}
