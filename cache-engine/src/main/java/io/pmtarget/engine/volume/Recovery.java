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
 * <p>Cost: one pass over the entries, one primitive sort of (seq, entry) keys, one pass of inserts:
 * O(n log n) with no object per entry (1M entries take well under a second).
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
        int[] order = sortBySeq(seqs, superSeq, valid);
        index.resetForRecovery();
        int superseded = 0;
        int[] losers = new int[Math.max(valid, 1)];
        for (int k = 0; k < valid; k++) {
            int e = order[k];
            int existing = index.lookup(sectorsOf[e]);
            if (existing != CacheIndex.NONE) {
                if (seqs[existing] == seqs[e] && corruption == null) {
                    corruption = "entries " + existing + " and " + e + " both hold sector " + sectorsOf[e]
                            + " with seq " + seqs[e];
                }
                index.release(existing);
                losers[superseded++] = existing;
            }
            index.recoverEntry(e, sectorsOf[e]);
        }
        index.rebuildFreeList();
        if (corruption == null) {
            eraseDurably(device, seqs, superSeq, losers, superseded);
        }
        return new Result(superSeq, valid - superseded, erased, superseded, corruption);
    }

    /** Sorted entry numbers of the committed entries by ascending seq (ties by entry number). */
    private static int[] sortBySeq(long[] seqs, long superSeq, int valid) {
        int n = seqs.length;
        long[] keys = new long[valid];
        long minSeq = Long.MAX_VALUE;
        for (int e = 0; e < n; e++) {
            if (isCommitted(seqs[e], superSeq)) {
                minSeq = Math.min(minSeq, seqs[e]);
            }
        }
        // Pack (seq - minSeq) above the 31-bit entry number: one primitive sort, no boxing. Live seqs span
        // far less than 2^32 commits in practice; when they do not, fall back to a slower general sort.
        boolean packable = valid == 0 || superSeq - minSeq < (1L << 32);
        int k = 0;
        for (int e = 0; e < n; e++) {
            if (isCommitted(seqs[e], superSeq)) {
                keys[k++] = packable ? ((seqs[e] - minSeq) << 31) | e : e;
            }
        }
        int[] order = new int[valid];
        if (packable) {
            Arrays.sort(keys);
            for (int i = 0; i < valid; i++) {
                order[i] = (int) (keys[i] & 0x7FFF_FFFFL);
            }
        } else {
            Integer[] boxed = new Integer[valid];
            for (int i = 0; i < valid; i++) {
                boxed[i] = (int) keys[i];
            }
            Arrays.sort(boxed, (a, b) -> a.equals(b) ? 0
                    : seqs[a] != seqs[b] ? Long.compare(seqs[a], seqs[b]) : Integer.compare(a, b));
            for (int i = 0; i < valid; i++) {
                order[i] = boxed[i];
            }
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
        for (int i = 0; i < loserCount; i++) {
            free(device, losers[i]);
            any = true;
        }
        if (any) {
            device.drain();
        }
    }

    static void free(PmemDevice device, int entry) {
        long off = CacheLayout.entryOffset(entry) + ENTRY_SEQ_OFFSET;
        device.writeLong(off, SEQ_FREE);
        device.flush(off, Long.BYTES);
    }
}
