package io.pmtarget.engine.pmem;

import java.nio.ByteBuffer;

/**
 * A byte-addressable persistent region (the cache device), addressed by offset from its start.
 *
 * <p>Durability model (the same as x86 + ADR pmem): a plain store ({@link #writeLong}, {@link #writeInt})
 * is visible at once but durable only after {@link #flush} of its range <em>and</em> a following
 * {@link #drain}. {@link #writePersistent} copies with non-temporal stores where the implementation
 * can, so the copied range is durable after the next {@link #drain} without a separate flush.
 * Only an aligned 8-byte store is power-fail atomic; anything larger may tear at 8-byte granularity.
 *
 * <p>Implementations: the mapped file (native CLWB/CLFLUSHOPT/NT-store helper, or the pure-Java msync
 * fallback) and the crash simulator used by tests. All offsets and lengths are in bytes.
 */
public interface PmemDevice extends AutoCloseable {

    /** Size of the region in bytes. */
    long sizeBytes();

    /** How durability is obtained, for the log line at open and the status (e.g. "native-clwb+map_sync"). */
    String mode();

    /**
     * True when persisting a store takes only CPU instructions (cache-line flushes, fences), never a
     * system call or device I/O: then a write is cheap enough to run on a network event loop. False for
     * the msync fallback, where persisting costs a page write-back.
     */
    default boolean persistsWithoutBlocking() {
        return !mode().startsWith("java-msync");
    }

    long readLong(long offset);

    int readInt(long offset);

    /** Copies {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}, advancing its position. */
    void read(long offset, ByteBuffer dst);

    /**
     * A read-only direct buffer over {@code [offset, offset + lengthBytes)} of the device itself (no copy),
     * positioned at its start, for handing cached data straight to a file write; or null when this device
     * has no such view (the simulator, or a range across two of the mapping's 1 GiB windows), and the caller
     * copies with {@link #read} instead. A new small buffer object per call; the bytes are not copied.
     */
    default ByteBuffer view(long offset, int lengthBytes) {
        return null;
    }

    /** Plain aligned 8-byte store; durable after flush + drain. {@code offset} must be 8-byte aligned. */
    void writeLong(long offset, long value);

    /** Plain aligned 4-byte store; durable after flush + drain. */
    void writeInt(long offset, int value);

    /**
     * Copies {@code src.remaining()} bytes to {@code offset}, advancing {@code src}'s position; the range is
     * durable after the next {@link #drain} (no separate flush needed).
     */
    void writePersistent(long offset, ByteBuffer src);

    /** Starts writing back {@code [offset, offset + lengthBytes)} to the persistence domain. */
    void flush(long offset, long lengthBytes);

    /** Store fence: every earlier flush and persistent write is durable when this returns. */
    void drain();

    /**
     * One durable block write: stores {@code first} and {@code second} at {@code wordsOffset} (16-byte
     * aligned) and {@code wordsOffset + 8}, copies {@code src.remaining()} bytes to {@code dataOffset}
     * (advancing src), and returns when both are durable. The same as those stores, {@link #flush},
     * {@link #writePersistent} and {@link #drain}, which is this default; the native mode does it in one call
     * with one wait. Each word is power-fail atomic; nothing else is.
     */
    default void writeDurable(long dataOffset, ByteBuffer src, long wordsOffset, long first, long second) {
        writeLong(wordsOffset, first);
        writeLong(wordsOffset + Long.BYTES, second);
        flush(wordsOffset, 2 * Long.BYTES);
        writePersistent(dataOffset, src);
        drain();
    }

    /** {@link #writePersistent} then {@link #drain}: durable when this returns (native: one call). */
    default void writeDurable(long dataOffset, ByteBuffer src) {
        writePersistent(dataOffset, src);
        drain();
    }

    /**
     * Stores {@code value} at {@code firstOffset + indexes[i] * strideBytes} (8-byte aligned) for every
     * {@code i < count}, durable after the next {@link #drain} (no separate flush), like
     * {@link #writePersistent}. For batches such as the free marks of many cache entries: the native mode
     * writes them all in one call with non-temporal stores, so none waits for another's write-back. This
     * default is a plain store plus a flush of its line for each.
     */
    default void writeLongsPersistent(long firstOffset, int strideBytes, int[] indexes, int count, long value) {
        for (int i = 0; i < count; i++) {
            long offset = firstOffset + (long) indexes[i] * strideBytes;
            writeLong(offset, value);
            flush(offset, Long.BYTES);
        }
    }

    /**
     * Aligned 8-byte store that is durable when this returns (store, flush of its line, drain). The mapped
     * implementation does it in one native call; this default is the same sequence through the interface.
     */
    default void persistLong(long offset, long value) {
        writeLong(offset, value);
        flush(offset, Long.BYTES);
        drain();
    }

    /** Unmaps the region; further calls are programmer errors. Does not imply a drain. */
    @Override
    void close();
}
