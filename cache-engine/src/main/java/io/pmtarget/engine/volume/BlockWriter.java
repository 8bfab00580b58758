package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.CacheLayout.ENTRY_SECTOR_OFFSET;
import static io.pmtarget.engine.volume.CacheLayout.ENTRY_SEQ_OFFSET;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path of a {@link CacheVolume}, one block at a time: inside the commit gate, find the block's
 * uncommitted entry or take a fresh one under its shard's lock (stealing free entries from other shards
 * first), then copy data and entry with no lock held and fence on this core. Waits for space only when
 * every shard is out of free entries, and never when the caller may not wait ({@code tryWrite}).
 */
final class BlockWriter {

    private static final Logger LOG = LoggerFactory.getLogger(BlockWriter.class);

    private final CacheVolume v;
    /** False only under the test fault that removes the fences between data and commit point. */
    private final boolean fenceWrites;
    /**
     * A writer sums the volume's uncommitted count (a line per writer thread) only when its own count of
     * fresh entries is a multiple of the step (a power of two, about autocommit_blocks / 8: this mask is the
     * step minus one), or on each once its own count alone reaches autocommit_blocks.
     */
    private final long autocommitStepMask;
    /** Hint threshold per shard: its share of the high watermark. */
    private final long shardHighBlocks;
    /**
     * Each writer thread's list of the versions its walks supersede (see {@link #walkCommittedIfDue}), shared
     * by all volumes: bound to one only for a walk and its free.
     */
    private static final ThreadLocal<SupersededVersions> WALKED =
            ThreadLocal.withInitial(() -> new SupersededVersions(true, BlockWriter.WRITER_WALK_MAX));

    BlockWriter(CacheVolume volume, boolean fenceWrites) {
        this.v = volume;
        this.fenceWrites = fenceWrites;
        int shards = volume.index.shardCount();
        long step = Math.max(1, volume.options.autocommitBlocks() / AUTOCOMMIT_CHECKS);
        this.autocommitStepMask = Long.highestOneBit(step) - 1;
        this.shardHighBlocks = Math.max(1,
                (long) volume.options.highWatermarkPct() * volume.index.capacity() / 100 / shards);
    }

    /** How often, per autocommit_blocks fresh entries of one writer, it checks the volume's total. */
    private static final int AUTOCOMMIT_CHECKS = 8;

    /** {@link #writeBlock} outcomes (CACHED may carry the hint bits below). */
    private static final int CACHED = 0;
    static final int WRITTEN_THROUGH = 1;
    static final int NO_SPACE = 2;
    /** Hint: this writer's fresh entries reached a check point; the volume's total is worth summing. */
    private static final int HINT_AUTOCOMMIT = 4;
    /** Hint: the block's shard holds its share of the high watermark; wake v.writeback. */
    private static final int HINT_HIGH_WATERMARK = 8;
    /** Entry placeholder of {@link #writeBlock}: uncached block in v.cleaner mode, write it through. */
    private static final int THROUGH = -2;
    /** Entry placeholder of {@link #writeBlock}: the write's generation is no longer current, enter again. */
    private static final int STALE = -3;
    /** Steal attempts per block before the writer counts the cache as full for this round. */
    private static final int STEALS_MAX = 8;

    /** After a non-FUA write: the autocommit and watermark heuristics, from the hints of its blocks. */
    void afterWrite(int hints) throws IOException {
        // Also on writes without the hint: a commit left pending is finished by the next write that can.
        v.engine.maybeAutocommit((hints & HINT_AUTOCOMMIT) != 0);
        // A shard above its share of the watermark is a hint only (chunks do not spread evenly): check the sum.
        if ((hints & HINT_HIGH_WATERMARK) != 0
                && v.index.usedCount() * 100L >= (long) v.options.highWatermarkPct() * v.index.capacity()) {
            v.writeback.kick();
        }
    }

    /**
     * Writes one block (src positioned at it, limited to it): {@link #CACHED} (plus hint bits), or
     * {@link #WRITTEN_THROUGH} to the backing device (v.cleaner mode). Without {@code mayWait} it never waits
     * for space or does backing I/O: it answers {@link #NO_SPACE} instead, src's position unchanged.
     */
    int writeBlock(long sector, ByteBuffer src, boolean mayWait) throws IOException {
        IndexShard sh = v.index.shardOf(sector);
        for (long round = 0; ; ) {
            int slot = src.position();
            // The generation this write belongs to: its fresh entry's seq and generation bit, and the only
            // generation whose uncommitted entries it may rewrite in place. A commit of it waits until this
            // write has left the gate.
            long seq = v.gate.enterShared();
            boolean stale = false;
            try {
                v.checkOpen();
                long found = CacheIndex.NONE;
                for (int steals = 0; ; steals++) {
                    found = lookupOrAllocate(sh, sector, seq);
                    if (found != CacheIndex.NONE || steals == STEALS_MAX || !v.index.freeLists.stealFree(sh)) {
                        break;
                    }
                }
                int e = (int) found;
                if (e == STALE) {
                    stale = true;
                } else if (e == THROUGH) {
                    if (!mayWait) {
                        return NO_SPACE;
                    }
                    writeThrough(sector, src);
                    return WRITTEN_THROUGH;
                } else if (e != CacheIndex.NONE) {
                    int bits = (int) (found >>> 32);
                    if ((bits & FRESH) != 0) {
                        long own = v.engine.noteUncommitted();
                        if ((own & autocommitStepMask) == 0 || own >= v.options.autocommitBlocks()) {
                            bits |= HINT_AUTOCOMMIT;
                        }
                    }
                    int outcome = copyIn(e, bits, sector, seq, src);
                    walkCommittedIfDue(sh, seq);
                    return outcome;
                }
            } finally {
                v.gate.exitShared(seq);
            }
            src.position(slot);
            if (stale) {
                // A commit started a new generation since this write entered: enter again, in the new one.
                v.counters.staleGenerationRetries.increment();
                continue;
            }
            if (!mayWait) {
                return NO_SPACE;
            }
            waitForSpace(round++);
        }
    }

    /**
     * After an autocommit, the committed generation's entries are walked (UNCOMMITTED cleared, superseded
     * versions freed) by the next writer in each shard, still inside the gate: usually the thread that wrote
     * them, so the index lines it touches are in its own cache, where the committing thread would pull them
     * from the other core. Under the shard lock, with generation {@code seq} still current and {@code seq - 1}
     * committed, a count of generation {@code seq - 1} above zero stays so while the lock is held: the next
     * advance walks every such shard (taking this lock) before the generation of that parity starts again.
     */
    private void walkCommittedIfDue(IndexShard sh, long seq) {
        // Hints without the lock, read on every write: this shard's line is in this core's cache already.
        if (sh.uncommitted(seq - 1) == 0 || v.engine.seqCount() != seq) {
            return;
        }
        SupersededVersions mine = WALKED.get();
        mine.bind(v);
        try {
            sh.lock();
            try {
                int count = sh.uncommitted(seq - 1);
                if (count == 0 || count > WRITER_WALK_MAX || v.gate.generation() != seq
                        || v.engine.seqCount() != seq) {
                    return;
                }
                int stoppedAt = mine.markCommittedAndCollect(sh, sh.takeCommitted(seq - 1));
                assert stoppedAt == CacheIndex.NONE : "a writer's walk stopped at entry " + stoppedAt;
            } finally {
                sh.unlock();
            }
            v.counters.writerWalks.increment();
            mine.free();
        } finally {
            mine.unbind();
        }
    }

    /** A writer walks a shard's committed generation only up to this many entries; the commit walks more. */
    static final int WRITER_WALK_MAX = 512;

    /** Bit of {@link #lookupOrAllocate}'s upper word: the entry is fresh (allocated by this call). */
    private static final int FRESH = 16;

    /**
     * Under sh's lock: the uncommitted entry already caching {@code sector} (rewritten in place), or a fresh
     * FILLING entry linked as its newest version, or {@link #THROUGH}, or NONE when sh has no free entry.
     * Returns the entry in the low 32 bits and FRESH plus hint bits in the high 32 bits.
     */
    private long lookupOrAllocate(IndexShard sh, long sector, long seq) {
        sh.lock();
        try {
            // Checked under the lock, so every entry a shard gains for generation seq precedes, in its FIFO
            // and in its sector's version chain, every entry of a later generation: a commit then finds its
            // generation's entries behind the last one it noted, and the highest seq is the newest version.
            if (v.gate.generation() != seq) {
                return STALE;
            }
            int e = v.index.lookup(sh, sector);
            if (e != CacheIndex.NONE && v.index.isOpenUncommitted(e, seq)) {
                v.counters.writeHits.increment();
                return e & 0xFFFF_FFFFL;
            }
            if (e == CacheIndex.NONE && v.cleaner) {
                return THROUGH;
            }
            e = v.index.allocate(sh, sector, true);
            if (e == CacheIndex.NONE) {
                return CacheIndex.NONE;
            }
            v.index.set(e, (byte) (CacheIndex.FILLING | CacheIndex.generationBit(seq)));
            v.index.linkNewest(sh, e);
            sh.noteUncommitted(seq, e);
            int bits = FRESH;
            if (sh.usedCount >= shardHighBlocks) {
                bits |= HINT_HIGH_WATERMARK;
            }
            return ((long) bits << 32) | e;
        } finally {
            sh.unlock();
        }
    }

    /** Copies the block into entry e (no lock held, inside the gate); for a fresh entry also its metadata. */
    private int copyIn(int e, int bits, long sector, long seq, ByteBuffer src) {
        boolean fresh = (bits & FRESH) != 0;
        long dataOffset = v.layout.dataOffset(e);
        long entryOffset = CacheLayout.entryOffset(e);
        // SFENCE orders only this core's non-temporal stores and cache-line write-backs:
        // the committing thread's fence does not cover another core's. So the write is
        // durable before it returns (GOOD means "in the cache"), and the commit point can
        // never precede its data. writeDurable stores the entry's words in layout order
        // (sector at +0, seq at +8).
        if (!fenceWrites) {
            writeWithoutFence(fresh, dataOffset, entryOffset, sector, seq, src);
        } else if (fresh) {
            v.device.writeDurable(dataOffset, src, entryOffset, sector, seq);
        } else {
            v.device.writeDurable(dataOffset, src);
        }
        if (fresh) {
            v.index.clearFilling(e);
        }
        return CACHED | (bits & (HINT_AUTOCOMMIT | HINT_HIGH_WATERMARK));
    }

    /** The broken-protocol test fault: the same stores and flushes, no drain. */
    private void writeWithoutFence(boolean fresh, long dataOffset, long entryOffset, long sector, long seq,
            ByteBuffer src) {
        v.device.writePersistent(dataOffset, src);
        if (fresh) {
            v.device.writeLong(entryOffset + ENTRY_SECTOR_OFFSET, sector);
            v.device.writeLong(entryOffset + ENTRY_SEQ_OFFSET, seq);
            v.device.flush(entryOffset, CacheLayout.ENTRY_BYTES);
        }
    }

    private void writeThrough(long sector, ByteBuffer src) throws VolumeException {
        try {
            v.backing.write(v.backingOffset(sector), src);
        } catch (IOException e) {
            v.setStickyError("backing write failed in v.cleaner mode: " + e.getMessage());
            throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                    "write-through of sector " + sector + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The cache is full: commit (so superseded versions are freed and new blocks become eligible), wake
     * writeback, wait a bounded time. Fails only when writeback has stopped with a sticky error, since then
     * no space can ever come back.
     */
    private void waitForSpace(long round) throws IOException {
        if (round == 0) {
            v.counters.fullWaits.increment();
        }
        // Counted before the kick, so the writeback round it starts already picks a small batch.
        v.spaceWaiters.incrementAndGet();
        try {
            waitForSpaceOnce();
        } finally {
            v.spaceWaiters.decrementAndGet();
        }
        if (round > 0 && round % (TimeUnit.SECONDS.toMillis(10) / CacheVolume.FULL_WAIT_MS) == 0) {
            LOG.warn("volume {}: a write has waited {} ms for cache space", v.name, round * CacheVolume.FULL_WAIT_MS);
        }
    }

    private void waitForSpaceOnce() throws IOException {
        v.engine.commit(false);
        v.writeback.kick();
        synchronized (v.waits) {
            // Free entries in any shard: no wait, the next round steals them.
            if (v.index.freeCount() == 0) {
                if (v.writeback.failed() && v.feed.blocksUnderWriteback() == 0) {
                    throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                            "cache full and writeback stopped: " + v.error());
                }
                try {
                    v.waits.wait(CacheVolume.FULL_WAIT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for cache space");
                }
            }
        }
        v.checkWritable();
    }
}
