package io.pmtarget.engine.writeback;

import java.io.IOException;
import java.nio.ByteBuffer;

/** What the writeback thread needs from a volume; implemented by the volume, called by {@link Writeback} only. */
public interface WritebackSource {

    /** True while watermarks, max_age, a flush message or cleaner mode ask for writeback. */
    boolean writebackWanted();

    /**
     * True when writers wait for free cache blocks, or soon will ({@code blocks} or fewer are free): the next
     * batch should then be small, because no entry of a batch is freed before the whole batch is on the
     * backing device and forced.
     */
    boolean spaceUrgent(int blocks);

    /**
     * Picks up to {@code max} committed blocks, oldest first, none with an older version still cached or in
     * flight, marks them under writeback and returns how many. 0 = nothing eligible now.
     */
    int pickBatch(int[] entries, long[] sectors, int max);

    /** Copies the cached data of {@code entry} into {@code dst} (one block). */
    void readCached(int entry, ByteBuffer dst);

    /**
     * The cached data of entries {@code firstEntry .. firstEntry + blocks - 1}, which lie side by side in the
     * cache, as a read-only view of the cache device itself (no copy); null when the device has no view.
     */
    ByteBuffer cachedView(int firstEntry, int blocks);

    /** Writes one merged run starting at {@code sector} (512-byte units of the volume) to the backing device. */
    void writeBacking(long sector, ByteBuffer run) throws IOException;

    /** Makes the backing writes durable (FileChannel.force / fdatasync). */
    void forceBacking() throws IOException;

    /**
     * The batch is durable on the backing device: free its entries (durably) and wake waiters. May reorder
     * {@code entries}.
     */
    void completeBatch(int[] entries, int count);

    /** The batch failed: keep the data cached, enter the sticky error state. */
    void failBatch(int[] entries, int count, IOException cause);

    /** Called about every tick: time-based autocommit. */
    void tick();

    int blockSizeBytes();
}
