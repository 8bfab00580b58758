package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.CacheLayout.SECTOR_BYTES;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.writeback.Writeback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A dm-writecache volume: the I/O paths and the lifecycle. The per-block write path lives in
 * {@link BlockWriter}, commits in {@link CommitEngine}, discards in {@link Discards}, writeback selection in
 * {@link WritebackFeed}, recovery in {@link Recovery}, the index in {@link CacheIndex}.
 *
 * <p>Locking (no data copy runs under a lock):
 * <ul>
 * <li>Index shards ({@link IndexShard}): a sector's shard lock guards its lookups and index updates only
 *     (tens of nanoseconds per block), never a pmem or backing copy. Writers of sectors in different shards
 *     share no lock and no written cache line; at most one shard lock is held, except by writeback's pick
 *     and a discard's drop step, which take all in ascending order.</li>
 * <li>{@code gate} ({@link IoGate}): writers are inside it, counted under their generation, from the index
 *     lookup until their copy and entry store are done. A commit advances the generation and stores
 *     seq_count only once the old generation's writers have left, so no copy into an uncommitted block
 *     straddles a commit point; writers of the new generation never wait for it. The exclusive side (a
 *     discard's drop step, close) keeps every writer out.</li>
 * <li>{@code epochs} ({@link ReadEpochs}): readers look up under the shard lock, then copy from pmem outside
 *     it; entries leave the index (commit, writeback, discard) by unlink, read grace period, then free list,
 *     so a block is never reused under a reader.</li>
 * <li>A fresh entry is linked into the index FILLING; its writer clears the flag (lock-free, see
 *     {@link CacheIndex#clearFilling}) once its copy is done. Readers skip a FILLING entry to the older
 *     version or the backing device, so a read racing a write never returns a previous owner's block.</li>
 * <li>{@code waits}, a monitor holding no state: full-cache, flush, drain and discard waits; everything
 *     that frees entries or ends writeback notifies it, holding no shard lock.</li>
 * </ul>
 * Lock order: commit lock, then gate (exclusive), then {@code waits}, then a shard lock. RAM per cache block
 * is at most 31 B (see {@link CacheIndex}): gate, read epochs and shards are a few cache lines each.
 */
final class CacheVolume implements Volume {

    /** Bounded wait per round while the cache is full; the loop re-checks error and close state. */
    static final long FULL_WAIT_MS = 50;

    final String name;
    final PmemDevice device;
    final BackingDevice backing;
    final CacheLayout layout;
    final CacheIndex index;
    final VolumeOptions options;
    /** Waits for space, writeback or flush progress; guards nothing (see the class comment). */
    final Object waits = new Object();
    /** Writers inside {@code BlockWriter.waitForSpace}: writeback shrinks its batches while any wait. */
    final AtomicInteger spaceWaiters = new AtomicInteger();
    final IoGate gate;
    /** Persisting is CPU-only (native flushes): {@link #tryWrite} may run; with msync it always declines. */
    private final boolean inlineWrites;
    final ReadEpochs epochs = new ReadEpochs(IoGate.defaultStripes());
    final VolumeCounters counters = new VolumeCounters();
    final CommitEngine engine;
    final Discards discards;
    final WritebackFeed feed;
    final Writeback writeback;
    private final BlockWriter writes;
    private final long volumeBytes;
    private final int blockBytes;
    private final int sectorsPerBlock;
    private final boolean readOnly;
    private volatile String error;
    private volatile boolean closed;
    volatile boolean cleaner;
    volatile boolean flushOnSuspend;

    CacheVolume(String name, PmemDevice device, BackingDevice backing, CacheLayout layout, VolumeOptions options,
            long volumeBytes, Recovery.Result recovery, CacheIndex index, CommitFault fault) {
        this.name = name;
        this.device = device;
        this.backing = backing;
        this.layout = layout;
        this.options = options;
        this.index = index;
        this.volumeBytes = volumeBytes;
        this.blockBytes = layout.blockSizeBytes();
        this.sectorsPerBlock = blockBytes / SECTOR_BYTES;
        this.readOnly = recovery.corruption() != null;
        this.error = recovery.corruption() == null ? null : "cache metadata corrupt: " + recovery.corruption();
        this.cleaner = options.cleaner();
        this.gate = new IoGate(IoGate.defaultStripes(), recovery.seqCount());
        this.engine = new CommitEngine(this, recovery.seqCount(), fault);
        this.discards = new Discards(this);
        this.feed = new WritebackFeed(this);
        this.writes = new BlockWriter(this, fault != CommitFault.SKIP_DRAIN_BEFORE_SEQ);
        this.inlineWrites = device.persistsWithoutBlocking();
        this.writeback = new Writeback(name, feed, options.writebackJobsMax());
        if (!readOnly) {
            writeback.start();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSizeBytes() {
        return blockBytes;
    }

    @Override
    public long sizeBytes() {
        return volumeBytes;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    String error() {
        return error;
    }

    /**
     * Gives cache entries that no reader will look up again back to the free lists, in the one order every
     * release uses: durable free marks and a drain (from here a crash finds them free, so they must hold
     * nothing recovery needs), unlink from the index, a read grace period (readers that found them before
     * the unlink finish their copies), then the free lists. Writeback completion and the frees after a
     * commit walk (superseded versions) both go through here. Holds no shard lock when called; reorders
     * {@code es}.
     */
    void releaseEntries(int[] es, int n) {
        Recovery.freeAll(device, es, n);
        device.drain();
        // Runs of entries share a shard (writeback batches are sorted by sector, a walk collects shard by
        // shard): one lock per run.
        index.detachAll(es, n);
        epochs.synchronize();
        index.recycleAll(es, n);
    }

    /** Wakes every waiter on {@link #waits}; the caller holds no shard lock. */
    void notifyWaiters() {
        synchronized (waits) {
            waits.notifyAll();
        }
    }

    void setStickyError(String text) {
        if (error == null) {
            error = text;
        }
    }

    /** Volume sectors map 1:1 onto the backing device (start_sector offsets the cache device, not this). */
    long backingOffset(long sector) {
        return sector * SECTOR_BYTES;
    }

    private void checkRange(long offsetBytes, long lengthBytes) {
        if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes % blockBytes != 0 || lengthBytes % blockBytes != 0) {
            throw new IllegalArgumentException("range [" + offsetBytes + ", +" + lengthBytes
                    + ") is not aligned to the block size " + blockBytes);
        }
        if (offsetBytes + lengthBytes > volumeBytes || offsetBytes + lengthBytes < 0) {
            throw new IllegalArgumentException("range [" + offsetBytes + ", +" + lengthBytes
                    + ") ends past the volume's " + volumeBytes + " bytes");
        }
    }

    void checkOpen() throws VolumeException {
        if (closed) {
            throw new VolumeException(VolumeException.Kind.CLOSED, "volume " + name + " is closed");
        }
    }

    void checkWritable() throws VolumeException {
        checkOpen();
        if (readOnly) {
            throw new VolumeException(VolumeException.Kind.READ_ONLY, "volume " + name + " is read-only: " + error);
        }
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        boolean done = readRange(offsetBytes, dst, true);
        assert done;
    }

    @Override
    public boolean tryRead(long offsetBytes, ByteBuffer dst) throws IOException {
        boolean done = readRange(offsetBytes, dst, backing.readsWithoutBlocking());
        (done ? counters.inlineReads : counters.inlineFallbacks).increment();
        return done;
    }

    /** read() and tryRead(): false (dst's position restored) when a backing read was needed and not allowed. */
    private boolean readRange(long offsetBytes, ByteBuffer dst, boolean mayReadBacking) throws IOException {
        long startNanos = System.nanoTime();
        checkRange(offsetBytes, dst.remaining());
        checkOpen();
        int start = dst.position();
        int end = dst.limit();
        boolean done;
        try {
            done = readBlocks(offsetBytes / SECTOR_BYTES, dst, dst.remaining() / blockBytes, mayReadBacking);
        } finally {
            dst.limit(end);
        }
        if (!done) {
            dst.position(start);
            return false;
        }
        counters.reads.increment();
        counters.readLatency.record(startNanos);
        return true;
    }

    /**
     * Copies blocks into dst: cached ones from the cache device, runs of uncached ones from the backing
     * device in one I/O each. Without {@code mayReadBacking} it stops at the first uncached block and
     * returns false (dst partly filled).
     */
    private boolean readBlocks(long firstSector, ByteBuffer dst, long blocks, boolean mayReadBacking)
            throws VolumeException {
        long b = 0;
        long hitBlocks = 0;
        while (b < blocks) {
            long missRunBlocks = 0;
            int token = epochs.enter();
            try {
                // A reader that entered after close's grace period began sees closed (volatile, set before it).
                checkOpen();
                int e = lookupReadable(firstSector + b * sectorsPerBlock);
                if (e == CacheIndex.NONE) {
                    do {
                        missRunBlocks++;
                    } while (b + missRunBlocks < blocks
                            && lookupReadable(firstSector + (b + missRunBlocks) * sectorsPerBlock) == CacheIndex.NONE);
                }
                if (e != CacheIndex.NONE) {
                    // Outside the index lock: the read section keeps e from being recycled meanwhile.
                    dst.limit(dst.position() + blockBytes);
                    device.read(layout.dataOffset(e), dst);
                    b++;
                    hitBlocks++;
                    continue;
                }
            } finally {
                epochs.exit(token);
            }
            if (!mayReadBacking) {
                return false;
            }
            readBacking(firstSector + b * sectorsPerBlock, dst, missRunBlocks);
            counters.readMisses.add(missRunBlocks);
            b += missRunBlocks;
        }
        counters.readHits.add(hitBlocks);
        return true;
    }

    private int lookupReadable(long sector) {
        IndexShard sh = index.shardOf(sector);
        sh.lock();
        try {
            return index.lookupReadable(sh, sector);
        } finally {
            sh.unlock();
        }
    }

    /** One backing I/O for a run of uncached blocks. */
    private void readBacking(long sector, ByteBuffer dst, long blocks) throws VolumeException {
        dst.limit(dst.position() + (int) (blocks * blockBytes));
        try {
            backing.read(backingOffset(sector), dst);
        } catch (IOException e) {
            throw new VolumeException(VolumeException.Kind.BACKING_READ_ERROR,
                    "reading sector " + sector + " of the backing device failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        long startNanos = System.nanoTime();
        checkRange(offsetBytes, src.remaining());
        checkWritable();
        int outcomes = writeBlocks(offsetBytes, src, true);
        counters.writes.increment();
        if ((outcomes & BlockWriter.WRITTEN_THROUGH) != 0 && fua) {
            forceBacking();
        }
        if (fua) {
            engine.commit(true);
            counters.fuaWriteLatency.record(startNanos);
        } else {
            writes.afterWrite(outcomes);
            counters.writeLatency.record(startNanos);
        }
    }

    @Override
    public boolean tryFlush() throws IOException {
        checkOpen();
        return inlineWrites && engine.tryCommit(true);
    }

    @Override
    public boolean tryWrite(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        long startNanos = System.nanoTime();
        checkRange(offsetBytes, src.remaining());
        checkWritable();
        if (!inlineWrites || cleaner) {
            return false;
        }
        int start = src.position();
        int outcomes = writeBlocks(offsetBytes, src, false);
        if ((outcomes & BlockWriter.NO_SPACE) != 0) {
            // Blocks before the full one may hold the new data already: harmless, nothing was acknowledged,
            // and the blocking write() the caller falls back to rewrites them all.
            src.position(start);
            counters.inlineFallbacks.increment();
            writeback.kick();
            return false;
        }
        if (fua && !engine.tryCommit(true)) {
            // In the cache but not committed: the caller's write(fua) rewrites it and commits.
            src.position(start);
            counters.inlineFallbacks.increment();
            return false;
        }
        counters.writes.increment();
        counters.inlineWrites.increment();
        if (fua) {
            counters.fuaWriteLatency.record(startNanos);
        } else {
            writes.afterWrite(outcomes);
            counters.writeLatency.record(startNanos);
        }
        return true;
    }

    /**
     * Writes src's blocks at offsetBytes one by one; returns the OR of their {@link BlockWriter#writeBlock}
     * outcomes. Without {@code mayWait} it stops at the first {@link BlockWriter#NO_SPACE}.
     */
    private int writeBlocks(long offsetBytes, ByteBuffer src, boolean mayWait) throws IOException {
        int end = src.limit();
        long firstSector = offsetBytes / SECTOR_BYTES;
        long blocks = src.remaining() / blockBytes;
        int outcomes = 0;
        try {
            for (long b = 0; b < blocks; b++) {
                src.limit(src.position() + blockBytes);
                int result = writes.writeBlock(firstSector + b * sectorsPerBlock, src, mayWait);
                outcomes |= result;
                if (result == BlockWriter.NO_SPACE) {
                    break;
                }
            }
        } finally {
            src.limit(end);
        }
        return outcomes;
    }

    private void forceBacking() throws VolumeException {
        try {
            backing.force();
        } catch (IOException e) {
            throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                    "forcing the backing device failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void flush() throws IOException {
        checkOpen();
        if (readOnly) {
            return;
        }
        engine.commit(true);
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        checkRange(offsetBytes, lengthBytes);
        checkWritable();
        if (lengthBytes == 0) {
            return;
        }
        long firstSector = offsetBytes / SECTOR_BYTES;
        long blocks = lengthBytes / blockBytes;
        discards.discardCached(firstSector, blocks);
        try {
            backing.discard(backingOffset(firstSector), lengthBytes);
            backing.force();
        } catch (IOException e) {
            discards.abortDiscard();
            throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                    "discard on the backing device failed: " + e.getMessage(), e);
        }
        discards.freeDropped();
        engine.commit(true);
        counters.discards.increment();
    }

    @Override
    public boolean discardReadsZeros() {
        return backing.discardReadsZeros();
    }

    @Override
    public VolumeStatus status() {
        long free = index.freeCount();
        long total = index.capacity();
        java.util.Map<String, Long> map = counters.snapshot();
        map.put("index_ram_bytes", index.ramBytes());
        map.put("index_shards", (long) index.shardCount());
        map.put("seq_count", engine.seqCount());
        map.put("cleaner", cleaner ? 1L : 0L);
        return new VolumeStatus(name, error, readOnly, total, free, feed.blocksUnderWriteback(), device.mode(), map);
    }

    @Override
    public void message(String message) throws IOException {
        checkOpen();
        switch (message) {
            case "flush" -> {
                checkWritable();
                feed.drainCachedAtArrival();
            }
            case "flush_on_suspend" -> flushOnSuspend = true;
            case "cleaner" -> {
                checkWritable();
                cleaner = true;
                feed.drainAll();
            }
            default -> throw new IllegalArgumentException("message: unknown '" + message
                    + "' (known: flush, flush_on_suspend, cleaner)");
        }
    }

    @Override
    public void close(boolean drain) throws IOException {
        if (closed) {
            return;
        }
        try {
            if (!readOnly && (drain || flushOnSuspend) && !writeback.failed()) {
                feed.drainAll();
            }
            if (!readOnly) {
                engine.commit(true);
            }
        } finally {
            // Exclusive gate: no writer is copying; later writers see CLOSED before they touch the device.
            // Then a read grace period: every reader that did not see CLOSED has finished its copy.
            closeGate();
            epochs.synchronize();
            writeback.close();
            try {
                backing.close();
            } finally {
                device.close();
            }
        }
    }

    /** Sets closed with the gate exclusive: no writer is copying, later ones see CLOSED first. */
    private void closeGate() {
        try {
            engine.runExclusive(() -> closed = true);
        } catch (InterruptedException e) {
            throw new AssertionError("setting closed does not wait", e);
        }
    }

    boolean isClosed() {
        return closed;
    }
}
