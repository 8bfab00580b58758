package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.CacheLayout.ENTRY_SECTOR_OFFSET;
import static io.pmtarget.engine.volume.CacheLayout.ENTRY_SEQ_OFFSET;
import static io.pmtarget.engine.volume.CacheLayout.SEQ_FREE;

import io.pmtarget.engine.pmem.PmemDevice;
import java.util.Arrays;

/**
 * Rebuilds the index from the entries at open (dm-writecache semantics, plus FIFO order kept by seq):
 * entries with seq >= the superblock's were never committed and are erased; of several entries for one
 * sector the highest seq wins and the others are freed; two entries of one sector with equal seq, a
 * misaligned sector, or a sector past the volume's end is corruption: nothing is written and the volume
 * opens read-only with the reason.
 *
 * <p>Cost: one scan of the entries, one pass of hash inserts in entry order, a counting sort by seq (O(n)
 * for the usual narrow seq range, else one primitive sort), one pass of FIFO links; no object per entry.
 */
final class Recovery {

    /** Result of a recovery: the superblock seq and, when non-null, why the volume must be read-only. */
    record Result(long seqCount, int recovered, int erased, int superseded, String corruption) {
    }

    private Recovery() {
    }

    static Result run(PmemDevice device, CacheLayout layout, CacheIndex index, long volumeSectors) {
        long superSeq = device.readLong(CacheLayout.SB_SEQ_COUNT_OFFSET);
        int n = (int) layout.nBlocks();
        long sectorsPerBlock = layout.blockSizeBytes() / CacheLayout.SECTOR_BYTES;
        long[] seqs = new long[n];
        long[] sectorsOf = new long[n];
        int valid = 0;
        int erased = 0;
        String corruption = null;
        for (int e = 0; e < n; e++) {
            long off = CacheLayout.entryOffset(e);
            long seq = device.readLong(off + ENTRY_SEQ_OFFSET);
            seqs[e] = seq;
            if (seq == SEQ_FREE) {
                continue;
            }
            if (Long.compareUnsigned(seq, superSeq) >= 0) {
                erased++;
                continue;
            }
            long sector = device.readLong(off + ENTRY_SECTOR_OFFSET);
            sectorsOf[e] = sector;
            if (corruption == null && (sector % sectorsPerBlock != 0 || sector < 0 || sector >= volumeSectors)) {
                corruption = "entry " + e + " has sector " + sector + ", misaligned or past the volume's end ("
                        + volumeSectors + " sectors)";
            }
            valid++;
        }
        // Pass 1, entry order (sequential over the per-entry arrays): hash every committed entry by sector,
        // keeping the highest seq of each sector.
        IndexRecovery.resetForRecovery(index);
        int superseded = 0;
        int[] losers = new int[Math.max(valid, 1)];
        for (int e = 0; e < n; e++) {
            if (!isCommitted(seqs[e], superSeq)) {
                continue;
            }
            int existing = IndexRecovery.insertRecovered(index, e, sectorsOf[e]);
            if (existing == CacheIndex.NONE) {
                continue;
            }
            if (seqs[existing] == seqs[e] && corruption == null) {
                corruption = "entries " + existing + " and " + e + " both hold sector " + sectorsOf[e]
                        + " with seq " + seqs[e];
            }
            if (Long.compareUnsigned(seqs[e], seqs[existing]) > 0) {
                IndexRecovery.replaceRecovered(index, existing, e);
                losers[superseded++] = existing;
            } else {
                losers[superseded++] = e;
            }
        }
        // Pass 2, seq order: the FIFO (writeback order) continues where it was before the restart.
        int[] order = sortBySeq(seqs, index, valid - superseded);
        for (int e : order) {
            IndexRecovery.appendRecovered(index, e);
        }
        index.freeLists.rebuildFreeList();
        if (corruption == null) {
            eraseDurably(device, seqs, superSeq, losers, superseded);
        }
        return new Result(superSeq, valid - superseded, erased, superseded, corruption);
    }

    /**
     * Entry numbers of the recovered (used) entries by ascending seq, ties by entry number. Seqs of live
     * entries span few commits (autocommit groups many blocks per seq), so a counting sort over the seq
     * range is O(n) and cache-friendly; a wide range falls back to one primitive sort of packed keys.
     */
    private static int[] sortBySeq(long[] seqs, CacheIndex index, int used) {
        int n = seqs.length;
        int[] order = new int[used];
        if (used == 0) {
            return order;
        }
        long minSeq = Long.MAX_VALUE;
        long maxSeq = Long.MIN_VALUE;
        for (int e = 0; e < n; e++) {
            if (index.flags(e) != CacheIndex.FREE) {
                minSeq = Math.min(minSeq, seqs[e]);
                maxSeq = Math.max(maxSeq, seqs[e]);
            }
        }
        long range = maxSeq - minSeq + 1;
        if (range > 0 && range <= 2L * used + 1024) {
            int[] start = new int[(int) range + 1];
            for (int e = 0; e < n; e++) {
                if (index.flags(e) != CacheIndex.FREE) {
                    start[(int) (seqs[e] - minSeq) + 1]++;
                }
            }
            for (int i = 1; i <= range; i++) {
                start[i] += start[i - 1];
            }
            for (int e = 0; e < n; e++) {
                if (index.flags(e) != CacheIndex.FREE) {
                    order[start[(int) (seqs[e] - minSeq)]++] = e;
                }
            }
            return order;
        }
        if (range > 0 && range < (1L << 32)) {
            long[] keys = new long[used];
            int k = 0;
            for (int e = 0; e < n; e++) {
                if (index.flags(e) != CacheIndex.FREE) {
                    keys[k++] = ((seqs[e] - minSeq) << 31) | e;
                }
            }
            Arrays.parallelSort(keys);
            for (int i = 0; i < used; i++) {
                order[i] = (int) (keys[i] & 0x7FFF_FFFFL);
            }
            return order;
        }
        Integer[] boxed = new Integer[used];
        int k = 0;
        for (int e = 0; e < n; e++) {
            if (index.flags(e) != CacheIndex.FREE) {
                boxed[k++] = e;
            }
        }
        Arrays.sort(boxed, (a, b) -> seqs[a] != seqs[b] ? Long.compareUnsigned(seqs[a], seqs[b]) : Integer.compare(a, b));
        for (int i = 0; i < used; i++) {
            order[i] = boxed[i];
        }
        return order;
    }

    private static boolean isCommitted(long seq, long superSeq) {
        return seq != SEQ_FREE && Long.compareUnsigned(seq, superSeq) < 0;
    }

    /** Frees never-committed and superseded entries on the device: one 8-byte store each, one drain. */
    private static void eraseDurably(PmemDevice device, long[] seqs, long superSeq, int[] losers, int loserCount) {
        boolean any = false;
        for (int e = 0; e < seqs.length; e++) {
            if (seqs[e] != SEQ_FREE && !isCommitted(seqs[e], superSeq)) {
                free(device, e);
                any = true;
            }
        }
        if (loserCount > 0) {
            freeAll(device, losers, loserCount);
            any = true;
        }
        if (any) {
            device.drain();
        }
    }

    /** {@link #free} of {@code entries[0, count)} in one batch: durable after the next drain. */
    static void freeAll(PmemDevice device, int[] entries, int count) {
        device.writeLongsPersistent(CacheLayout.entryOffset(0) + ENTRY_SEQ_OFFSET, CacheLayout.ENTRY_BYTES,
                entries, count, SEQ_FREE);
    }

    static void free(PmemDevice device, int entry) {
        long off = CacheLayout.entryOffset(entry) + ENTRY_SEQ_OFFSET;
        device.writeLong(off, SEQ_FREE);
        device.flush(off, Long.BYTES);
    }
}
