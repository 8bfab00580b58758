package io.pmtarget.engine.volume;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The cache side of a discard, in two steps around the backing device's discard: drop the cached versions
 * of the range from the index (they stay allocated, so a crash before the backing discard still finds the
 * old data), then free them durably once the backing range is durable zeros.
 */
final class Discards {

    private final CacheVolume v;
    private final CacheIndex index;
    private final ReentrantLock discardLock = new ReentrantLock();
    /** Entries dropped and not yet freed; written under the discard lock only. */
    private volatile int dropped;

    Discards(CacheVolume volume) {
        this.v = volume;
        this.index = volume.index;
    }

    /** Dropped entries still allocated (they count as used but are not cached data any more). */
    int droppedCount() {
        return dropped;
    }

    /**
     * Step 1: commits whatever is uncommitted (a write that completed before a concurrent flush must survive
     * a crash during this discard, and a dropped uncommitted entry could otherwise later share its seq with a
     * new write of the sector), then unlinks every cached version in the range from the index, marked
     * DROPPED. Runs under the commit lock and the exclusive gate and waits while any version in the range is
     * under writeback. Holds the discard lock until {@link #freeDropped()} or {@link #abortDiscard()}.
     */
    void discardCached(long firstSector, long blocks) throws IOException {
        discardLock.lock();
        long endSector = firstSector + blocks * (v.blockSizeBytes() / CacheLayout.SECTOR_BYTES);
        try {
            v.engine.commitThenRunExclusive(() -> dropWhenNotUnderWriteback(firstSector, endSector));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            discardLock.unlock();
            throw new InterruptedIOException("interrupted while a discard waited for writeback");
        } catch (RuntimeException | Error e) {
            discardLock.unlock();
            throw e;
        }
    }

    /**
     * Waits until no version in [first, end) is under writeback, then drops them all, with every shard
     * locked for the check and the drop together: writeback picks under the same locks, so it cannot take
     * a block of the range in between (it would write old data back after the discard).
     */
    private void dropWhenNotUnderWriteback(long firstSector, long endSector) throws InterruptedException {
        synchronized (v.waits) {
            while (true) {
                index.lockAll();
                try {
                    if (!rangeUnderWriteback(firstSector, endSector)) {
                        for (int s = 0; s < index.shardCount(); s++) {
                            dropRange(index.shard(s), firstSector, endSector);
                        }
                        return;
                    }
                } finally {
                    index.unlockAll();
                }
                v.waits.wait(CacheVolume.FULL_WAIT_MS);
            }
        }
    }

    /** Marks the range's versions in sh DROPPED and unlinks them from the hash; sh is locked. */
    private void dropRange(IndexShard sh, long firstSector, long endSector) {
        for (int e = index.fifoHead(sh); e != CacheIndex.NONE; e = index.fifoNext(e)) {
            long s = index.sector(e);
            if (s < firstSector || s >= endSector || index.has(e, CacheIndex.DROPPED)) {
                continue;
            }
            assert !index.has(e, CacheIndex.UNCOMMITTED) : "uncommitted entry " + e + " after a commit";
            index.unlinkVersion(sh, e);
            index.set(e, CacheIndex.DROPPED);
            dropped++;
        }
    }

    /** True when a cached version in [first, end) is under writeback; every shard is locked. */
    private boolean rangeUnderWriteback(long firstSector, long endSector) {
        for (int i = 0; i < index.shardCount(); i++) {
            IndexShard sh = index.shard(i);
            for (int e = index.fifoHead(sh); e != CacheIndex.NONE; e = index.fifoNext(e)) {
                long s = index.sector(e);
                if (s >= firstSector && s < endSector && index.has(e, CacheIndex.WRITEBACK)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Step 2 (the backing range is durable zeros now): frees the dropped entries durably. */
    void freeDropped() {
        try {
            if (dropped == 0) {
                return;
            }
            for (int s = 0; s < index.shardCount(); s++) {
                storeFreeDropped(index.shard(s));
            }
            v.device.drain();
            // The dropped entries left the hash in discardCached; wait out readers that found them before.
            v.epochs.synchronize();
            for (int s = 0; s < index.shardCount(); s++) {
                IndexShard sh = index.shard(s);
                int chain = CacheIndex.NONE;
                sh.lock();
                try {
                    int e = index.fifoHead(sh);
                    while (e != CacheIndex.NONE) {
                        int next = index.fifoNext(e);
                        if (index.has(e, CacheIndex.DROPPED)) {
                            chain = index.detachInto(sh, e, chain);
                            dropped--;
                        }
                        e = next;
                    }
                } finally {
                    sh.unlock();
                }
                index.freeLists.recycleChain(chain);
            }
            assert dropped == 0 : "dropped entries left: " + dropped;
            v.notifyWaiters();
        } finally {
            discardLock.unlock();
        }
    }

    private void storeFreeDropped(IndexShard sh) {
        sh.lock();
        try {
            for (int e = index.fifoHead(sh); e != CacheIndex.NONE; e = index.fifoNext(e)) {
                if (index.has(e, CacheIndex.DROPPED)) {
                    Recovery.free(v.device, e);
                }
            }
        } finally {
            sh.unlock();
        }
    }

    /** Releases the discard lock when the backing discard failed (dropped entries stay allocated). */
    void abortDiscard() {
        discardLock.unlock();
    }
}
