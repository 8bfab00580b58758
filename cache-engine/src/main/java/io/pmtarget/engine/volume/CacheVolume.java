package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.CacheLayout.ENTRY_SECTOR_OFFSET;
import static io.pmtarget.engine.volume.CacheLayout.ENTRY_SEQ_OFFSET;
import static io.pmtarget.engine.volume.CacheLayout.SECTOR_BYTES;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.writeback.Writeback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dm-writecache volume: the I/O paths and the lifecycle. Commit and writeback selection live in
 * {@link CommitEngine}, recovery in {@link Recovery}, the index in {@link CacheIndex}.
 *
 * <p>Locking: {@code meta} (a plain monitor) guards the index and is held only for index updates and for
 * copies <em>from</em> pmem on the read path; copies <em>to</em> pmem run outside it, under the shared
 * side of {@code commitGate}, so writers on different blocks copy in parallel. A commit takes the exclusive
 * side of {@code commitGate} for its drain and seq_count store only, so no copy into an uncommitted block
 * straddles a commit point.
 */
final class CacheVolume implements Volume {

    private static final Logger LOG = LoggerFactory.getLogger(CacheVolume.class);
    /** Bounded wait per round while the cache is full; the loop re-checks error and close state. */
    static final long FULL_WAIT_MS = 50;

    final String name;
    final PmemDevice device;
    final BackingDevice backing;
    final CacheLayout layout;
    final CacheIndex index;
    final VolumeOptions options;
    final Object meta = new Object();
    final ReentrantReadWriteLock commitGate = new ReentrantReadWriteLock();
    final VolumeCounters counters = new VolumeCounters();
    final CommitEngine engine;
    final Writeback writeback;
    private final long volumeBytes;
    private final long backingBaseBytes;
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
        this.backingBaseBytes = options.startSectorCount() * SECTOR_BYTES;
        this.blockBytes = layout.blockSizeBytes();
        this.sectorsPerBlock = blockBytes / SECTOR_BYTES;
        this.readOnly = recovery.corruption() != null;
        this.error = recovery.corruption() == null ? null : "cache metadata corrupt: " + recovery.corruption();
        this.cleaner = options.cleaner();
        this.engine = new CommitEngine(this, recovery.seqCount(), fault);
        this.writeback = new Writeback(name, engine, options.writebackJobsMax());
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

    void setStickyError(String text) {
        if (error == null) {
            error = text;
        }
    }

    long backingOffset(long sector) {
        return backingBaseBytes + sector * SECTOR_BYTES;
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

    private void checkOpen() throws VolumeException {
        if (closed) {
            throw new VolumeException(VolumeException.Kind.CLOSED, "volume " + name + " is closed");
        }
    }

    private void checkWritable() throws VolumeException {
        checkOpen();
        if (readOnly) {
            throw new VolumeException(VolumeException.Kind.READ_ONLY, "volume " + name + " is read-only: " + error);
        }
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        checkRange(offsetBytes, dst.remaining());
        checkOpen();
        int end = dst.limit();
        try {
            readBlocks(offsetBytes / SECTOR_BYTES, dst, dst.remaining() / blockBytes);
        } finally {
            dst.limit(end);
        }
        counters.reads.increment();
    }

    private void readBlocks(long firstSector, ByteBuffer dst, long blocks) throws VolumeException {
        long b = 0;
        while (b < blocks) {
            long missRunBlocks = 0;
            synchronized (meta) {
                checkOpen();
                // Copy cached blocks under the index lock: an entry cannot be freed and reused meanwhile.
                while (b < blocks) {
                    int e = index.lookup(firstSector + b * sectorsPerBlock);
                    if (e == CacheIndex.NONE) {
                        break;
                    }
                    dst.limit(dst.position() + blockBytes);
                    device.read(layout.dataOffset(e), dst);
                    b++;
                    counters.readHits.increment();
                }
                while (b + missRunBlocks < blocks
                        && index.lookup(firstSector + (b + missRunBlocks) * sectorsPerBlock) == CacheIndex.NONE) {
                    missRunBlocks++;
                }
            }
            if (missRunBlocks > 0) {
                readBacking(firstSector + b * sectorsPerBlock, dst, missRunBlocks);
                counters.readMisses.add(missRunBlocks);
                b += missRunBlocks;
            }
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
        checkRange(offsetBytes, src.remaining());
        checkWritable();
        int end = src.limit();
        long firstSector = offsetBytes / SECTOR_BYTES;
        long blocks = src.remaining() / blockBytes;
        boolean wroteThrough = false;
        try {
            for (long b = 0; b < blocks; b++) {
                src.limit(src.position() + blockBytes);
                wroteThrough |= writeBlock(firstSector + b * sectorsPerBlock, src);
            }
        } finally {
            src.limit(end);
        }
        counters.writes.increment();
        if (wroteThrough && fua) {
            forceBacking();
        }
        if (fua) {
            engine.commit(true);
        } else {
            engine.maybeAutocommit();
        }
    }

    /** Writes one block (src positioned at it, limited to it); true when it went straight to the backing device. */
    private boolean writeBlock(long sector, ByteBuffer src) throws IOException {
        for (long round = 0; ; round++) {
            int slot = src.position();
            commitGate.readLock().lock();
            try {
                checkOpen();
                int e;
                boolean fresh = false;
                synchronized (meta) {
                    e = index.lookup(sector);
                    if (e != CacheIndex.NONE && index.has(e, CacheIndex.UNCOMMITTED)) {
                        counters.writeHits.increment();
                    } else if (e == CacheIndex.NONE && cleaner) {
                        e = -2;
                    } else {
                        e = index.allocate(sector, true);
                        if (e != CacheIndex.NONE) {
                            index.linkNewest(e);
                            engine.noteUncommitted();
                            fresh = true;
                        }
                    }
                }
                if (e == -2) {
                    writeThrough(sector, src);
                    return true;
                }
                if (e != CacheIndex.NONE) {
                    device.writePersistent(layout.dataOffset(e), src);
                    if (fresh) {
                        long off = CacheLayout.entryOffset(e);
                        device.writeLong(off + ENTRY_SECTOR_OFFSET, sector);
                        device.writeLong(off + ENTRY_SEQ_OFFSET, engine.seqCount());
                        device.flush(off, CacheLayout.ENTRY_BYTES);
                    }
                    return false;
                }
            } finally {
                commitGate.readLock().unlock();
            }
            src.position(slot);
            waitForSpace(round);
        }
    }

    private void writeThrough(long sector, ByteBuffer src) throws VolumeException {
        try {
            backing.write(backingOffset(sector), src);
        } catch (IOException e) {
            setStickyError("backing write failed in cleaner mode: " + e.getMessage());
            throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                    "write-through of sector " + sector + " failed: " + e.getMessage(), e);
        }
    }

    private void forceBacking() throws VolumeException {
        try {
            backing.force();
        } catch (IOException e) {
            throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                    "forcing the backing device failed: " + e.getMessage(), e);
        }
    }

    /**
     * The cache is full: commit (so superseded versions are freed and new blocks become eligible), wake
     * writeback, wait a bounded time. Fails only when writeback has stopped with a sticky error, since then
     * no space can ever come back.
     */
    private void waitForSpace(long round) throws IOException {
        if (round == 0) {
            counters.fullWaits.increment();
        }
        engine.commit(false);
        writeback.kick();
        synchronized (meta) {
            if (index.freeCount() == 0) {
                if (writeback.failed() && engine.blocksUnderWriteback() == 0) {
                    throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                            "cache full and writeback stopped: " + error);
                }
                try {
                    meta.wait(FULL_WAIT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for cache space");
                }
            }
        }
        checkWritable();
        if (round > 0 && round % (TimeUnit.SECONDS.toMillis(10) / FULL_WAIT_MS) == 0) {
            LOG.warn("volume {}: a write has waited {} ms for cache space", name, round * FULL_WAIT_MS);
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
        engine.discardCached(firstSector, blocks);
        try {
            backing.discard(backingOffset(firstSector), lengthBytes);
            backing.force();
        } catch (IOException e) {
            engine.abortDiscard();
            throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                    "discard on the backing device failed: " + e.getMessage(), e);
        }
        engine.freeDropped();
        engine.commit(true);
        counters.discards.increment();
    }

    @Override
    public VolumeStatus status() {
        long free;
        long total;
        synchronized (meta) {
            free = index.freeCount();
            total = index.capacity();
        }
        java.util.Map<String, Long> map = counters.snapshot();
        map.put("index_ram_bytes", index.ramBytes());
        map.put("seq_count", engine.seqCount());
        map.put("cleaner", cleaner ? 1L : 0L);
        return new VolumeStatus(name, error, readOnly, total, free, engine.blocksUnderWriteback(), device.mode(), map);
    }

    @Override
    public void message(String message) throws IOException {
        checkOpen();
        switch (message) {
            case "flush" -> {
                checkWritable();
                engine.drainAll();
            }
            case "flush_on_suspend" -> flushOnSuspend = true;
            case "cleaner" -> {
                checkWritable();
                cleaner = true;
                engine.drainAll();
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
                engine.drainAll();
            }
            if (!readOnly) {
                engine.commit(true);
            }
        } finally {
            // Under both locks: no writer is copying and no reader is reading the mapping when it goes away;
            // later callers see CLOSED before they touch the device.
            commitGate.writeLock().lock();
            try {
                synchronized (meta) {
                    closed = true;
                }
            } finally {
                commitGate.writeLock().unlock();
            }
            writeback.close();
            try {
                backing.close();
            } finally {
                device.close();
            }
        }
    }

    boolean isClosed() {
        return closed;
    }
}
