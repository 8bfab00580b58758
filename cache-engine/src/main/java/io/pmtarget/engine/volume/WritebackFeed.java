package io.pmtarget.engine.volume;

import io.pmtarget.engine.writeback.WritebackSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volume side of writeback: when to write back (watermarks, max_age, flush message, cleaner), which
 * blocks (oldest first: the shard FIFOs merged by seq), and freeing them once durable on the backing device.
 * Also the two drains that wait for writeback (the "flush" message, drain-all).
 */
final class WritebackFeed implements WritebackSource {

    private static final Logger LOG = LoggerFactory.getLogger(WritebackFeed.class);

    private final CacheVolume v;
    private final CacheIndex index;
    /** Per-shard merge cursors of {@link #pickBatch}: the next candidate and its seq (writeback thread only). */
    private final int[] cursor;
    private final long[] cursorSeq;
    /** Watermark hysteresis, writeback thread only. */
    private boolean writebackActive;
    /** Blocks picked and not yet completed or failed; written by the writeback thread only. */
    private volatile int underWriteback;
    private final AtomicInteger drainRequests = new AtomicInteger();

    WritebackFeed(CacheVolume volume) {
        this.v = volume;
        this.index = volume.index;
        this.cursor = new int[index.shardCount()];
        this.cursorSeq = new long[index.shardCount()];
    }

    int blocksUnderWriteback() {
        return underWriteback;
    }

    private long usedBlocks() {
        return index.usedCount() - v.discards.droppedCount();
    }

    /**
     * The "flush" message: commit, then write back until every block that was cached when the message
     * arrived is written back (or freed). Blocks written meanwhile are written back too (writeback runs
     * unthrottled while a drain is requested) but are not waited for, so a steady stream of writes cannot
     * starve the message.
     */
    void drainCachedAtArrival() throws IOException {
        drainRequests.incrementAndGet();
        try {
            v.engine.commit(false);
            index.freeLists.markFlushPending();
            awaitWriteback(() -> index.freeLists.flushPendingCount() == 0, false, "flush");
        } finally {
            drainRequests.decrementAndGet();
        }
    }

    /** Commit, then write back until the cache is empty (message cleaner, close with drain). */
    void drainAll() throws IOException {
        drainRequests.incrementAndGet();
        try {
            awaitWriteback(() -> usedBlocks() == 0, true, "drain");
        } finally {
            drainRequests.decrementAndGet();
        }
    }

    /**
     * The drains' wait: kick writeback and wait on {@code v.waits} (at most FULL_WAIT_MS at a time, so a
     * missed wake-up costs one period) until {@code done} holds under that lock. A writeback failure is
     * sticky and ends the wait with BACKING_WRITE_ERROR ("cannot {verb} the cache"); an interrupt ends it with
     * "interrupted while {verb}ing the cache".
     *
     * @param commitEachRound commit before each kick (drain-all), not only once before the wait
     */
    private void awaitWriteback(BooleanSupplier done, boolean commitEachRound, String verb)
            throws IOException {
        try {
            while (true) {
                if (commitEachRound) {
                    v.engine.commit(false);
                }
                v.writeback.kick();
                synchronized (v.waits) {
                    if (done.getAsBoolean()) {
                        return;
                    }
                    if (v.writeback.failed()) {
                        throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                                "cannot " + verb + " the cache: " + v.error());
                    }
                    v.waits.wait(CacheVolume.FULL_WAIT_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + verb + "ing the cache");
        }
    }

    @Override
    public boolean writebackWanted() {
        long used = usedBlocks();
        if (used == 0) {
            writebackActive = false;
            return false;
        }
        if (drainRequests.get() > 0 || v.cleaner) {
            return true;
        }
        long cap = index.capacity();
        if (used * 100 >= (long) v.options.highWatermarkPct() * cap) {
            writebackActive = true;
        } else if (used * 100 < (long) v.options.lowWatermarkPct() * cap) {
            writebackActive = false;
        }
        return writebackActive || oldestOlderThanMaxAge(false);
    }

    /**
     * True when the oldest committed block (smallest seq among the shard FIFO heads) was committed at least
     * max_age ago. With {@code locked} the caller holds every shard lock; otherwise one is taken at a time.
     */
    private boolean oldestOlderThanMaxAge(boolean locked) {
        long maxAgeMs = v.options.maxAgeMs();
        if (maxAgeMs == 0) {
            return false;
        }
        long oldestSeq = -1;
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            if (!locked) {
                sh.lock();
            }
            try {
                int head = index.fifoHead(sh);
                if (head != CacheIndex.NONE && !index.has(head, CacheIndex.UNCOMMITTED)) {
                    long seq = seqOf(head);
                    if (Long.compareUnsigned(seq, oldestSeq) < 0) {
                        oldestSeq = seq;
                    }
                }
            } finally {
                if (!locked) {
                    sh.unlock();
                }
            }
        }
        if (oldestSeq == -1) {
            return false;
        }
        long since;
        synchronized (v.engine.commitClock) {
            since = v.engine.commitClock.committedNanos(oldestSeq);
        }
        return since == CommitClock.LONG_AGO || System.nanoTime() - since >= maxAgeMs * 1_000_000L;
    }

    private long seqOf(int e) {
        return v.device.readLong(CacheLayout.entryOffset(e) + CacheLayout.ENTRY_SEQ_OFFSET);
    }

    /**
     * Oldest first across shards: with every shard locked (ascending), a k-way merge of the shard FIFOs by
     * the seq in the entries (each FIFO is in seq order); within one seq the order does not matter (one
     * commit). O(picked * shards + skipped).
     */
    @Override
    public int pickBatch(int[] entries, long[] sectors, int max) {
        int count = 0;
        boolean needCommit;
        index.lockAll();
        try {
            int limit = Math.min(max, blocksToLowWatermark());
            for (int s = 0; s < cursor.length; s++) {
                advance(s, index.fifoHead(index.shard(s)));
            }
            while (count < limit) {
                int s = oldestCursor();
                if (s < 0) {
                    break;
                }
                int e = cursor[s];
                index.set(e, CacheIndex.WRITEBACK);
                entries[count] = e;
                sectors[count] = index.sector(e);
                count++;
                advance(s, index.fifoNext(e));
            }
            underWriteback += count;
            needCommit = count == 0 && index.uncommittedCount() > 0;
        } finally {
            index.unlockAll();
        }
        if (needCommit) {
            try {
                v.engine.commit(false);
            } catch (IOException e) {
                LOG.warn("volume {}: commit from writeback failed", v.name, e);
            }
        }
        return count;
    }

    /** Sets shard s's cursor to the first eligible entry from {@code from} on (NONE at an uncommitted one). */
    private void advance(int s, int from) {
        int e = from;
        while (e != CacheIndex.NONE) {
            byte f = index.flags(e);
            if ((f & CacheIndex.UNCOMMITTED) != 0) {
                e = CacheIndex.NONE;
                break;
            }
            if ((f & (CacheIndex.WRITEBACK | CacheIndex.DROPPED | CacheIndex.SUPERSEDED)) == 0
                    && index.older(e) == CacheIndex.NONE) {
                break;
            }
            e = index.fifoNext(e);
        }
        cursor[s] = e;
        cursorSeq[s] = e == CacheIndex.NONE ? 0 : seqOf(e);
    }

    /** The shard whose cursor has the smallest seq, or -1 when every cursor is exhausted. */
    private int oldestCursor() {
        int best = -1;
        for (int s = 0; s < cursor.length; s++) {
            if (cursor[s] != CacheIndex.NONE
                    && (best < 0 || Long.compareUnsigned(cursorSeq[s], cursorSeq[best]) < 0)) {
                best = s;
            }
        }
        return best;
    }

    /**
     * How many blocks this round may take: when only the high watermark drives writeback, just enough to
     * reach the low watermark (so writeback stops there, as dm-writecache does); otherwise no limit. The
     * caller holds every shard lock.
     */
    private int blocksToLowWatermark() {
        if (drainRequests.get() > 0 || v.cleaner || oldestOlderThanMaxAge(true)) {
            return Integer.MAX_VALUE;
        }
        long used = usedBlocks() - underWriteback;
        long lowBlocks = (long) v.options.lowWatermarkPct() * index.capacity() / 100;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, used - lowBlocks));
    }

    @Override
    public void readCached(int entry, ByteBuffer dst) {
        // The entry is under writeback: nobody frees or reuses it until completeBatch/failBatch.
        v.device.read(v.layout.dataOffset(entry), dst);
    }

    @Override
    public boolean spaceUrgent(int blocks) {
        return v.spaceWaiters.get() > 0 || index.freeCount() <= blocks;
    }

    @Override
    public ByteBuffer cachedView(int firstEntry, int blocks) {
        // Under writeback: nobody frees, reuses or rewrites these entries until completeBatch/failBatch.
        return v.device.view(v.layout.dataOffset(firstEntry), blocks * v.blockSizeBytes());
    }

    @Override
    public void writeBacking(long sector, ByteBuffer run) throws IOException {
        int bytes = run.remaining();
        v.backing.write(v.backingOffset(sector), run);
        v.counters.writebackRuns.increment();
        v.counters.writebackBytes.add(bytes);
    }

    @Override
    public void forceBacking() throws IOException {
        v.backing.force();
    }

    @Override
    public void completeBatch(int[] entries, int count) {
        v.releaseEntries(entries, count);
        underWriteback -= count;
        v.notifyWaiters();
        v.counters.writebackBlocks.add(count);
    }

    @Override
    public void failBatch(int[] entries, int count, IOException cause) {
        v.setStickyError("backing device write failed: " + cause.getMessage());
        for (int i = 0; i < count; i++) {
            IndexShard sh = index.shardOf(index.sector(entries[i]));
            sh.lock();
            try {
                index.clear(entries[i], CacheIndex.WRITEBACK);
            } finally {
                sh.unlock();
            }
        }
        underWriteback -= count;
        v.notifyWaiters();
    }

    @Override
    public void tick() {
        if (v.engine.autocommitTimeDue() && !v.isClosed()) {
            try {
                v.engine.commit(false);
            } catch (IOException e) {
                LOG.warn("volume {}: time-based autocommit failed", v.name, e);
            }
        }
    }

    @Override
    public int blockSizeBytes() {
        return v.blockSizeBytes();
    }
}
