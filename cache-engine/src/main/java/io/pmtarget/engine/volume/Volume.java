package io.pmtarget.engine.volume;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A cache-engine volume: a backing device fronted by a persistent-memory write cache with
 * dm-writecache semantics. This is the whole API the SCSI layer uses.
 *
 * <p>Offsets and lengths are in bytes of the volume's address space (the backing device after
 * {@code start_sector}); both must be multiples of {@link #blockSizeBytes()}, else
 * {@link IllegalArgumentException}. Ranges past {@link #sizeBytes()} are also an
 * {@link IllegalArgumentException}: the SCSI layer checks LBA ranges before calling.
 *
 * <p>Durability: {@code write} returns once the data is in the cache device (not yet committed);
 * a write with {@code fua} returns once it is committed; {@link #flush()} commits everything whose
 * write returned before flush was called. Committed data survives a crash.
 *
 * <p>All methods are thread-safe and may block (cache full, backing-device reads, commits); callers
 * must not call them from a network event loop, except {@link #tryRead}, {@link #tryWrite} and
 * {@link #tryFlush}.
 */
public interface Volume extends AutoCloseable {

    String name();

    /** Cache block size in bytes (512..4096, power of two). */
    int blockSizeBytes();

    /** Usable size in bytes, a multiple of {@link #blockSizeBytes()}. */
    long sizeBytes();

    /** True when recovery found corruption or the volume was opened read-only; writes then fail. */
    boolean readOnly();

    /** Reads {@code dst.remaining()} bytes at {@code offsetBytes}: the newest data, cached or not. */
    void read(long offsetBytes, ByteBuffer dst) throws IOException;

    /** Writes {@code src.remaining()} bytes at {@code offsetBytes}; with {@code fua}, committed on return. */
    void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException;

    /**
     * {@link #read} that never waits for device I/O, for callers on a network event loop: false when a
     * block would need a blocking read of the backing device (dst's position is then unchanged, its
     * content unspecified; call {@link #read}). Cached blocks, and backing files in RAM, read inline.
     */
    default boolean tryRead(long offsetBytes, ByteBuffer dst) throws IOException {
        return false;
    }

    /**
     * {@link #write} that never waits, for callers on a network event loop: false when it would have to
     * wait (the cache is full, persistence needs system calls as with msync, cleaner mode writes through,
     * or with {@code fua} another commit is running); src's position is then unchanged and the caller
     * calls {@code write(offsetBytes, src, fua)}. Some blocks may already hold the new data then, as after
     * an interrupted write: nothing was acknowledged. Returns true with the same guarantee as
     * {@code write(offsetBytes, src, fua)}. Errors (read-only, closed) are thrown as by {@link #write}.
     */
    default boolean tryWrite(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        return false;
    }

    /**
     * {@link #flush()} that never waits, for callers on a network event loop: false, having done nothing,
     * when the commit would wait (another commit is running, or persistence needs system calls).
     */
    default boolean tryFlush() throws IOException {
        return false;
    }

    /** Commits every write that completed before this call (SCSI SYNCHRONIZE CACHE). Group-committed. */
    void flush() throws IOException;

    /** Drops cached data in the range, commits, then discards the range on the backing device. */
    void discard(long offsetBytes, long lengthBytes) throws IOException;

    /**
     * True when a discarded range reads back as zeros afterwards (the SCSI layer reports it as LBPRZ,
     * SBC-4 5.5.2 / 6.6.4). False when the backing device is a block device discarded with BLKDISCARD.
     */
    default boolean discardReadsZeros() {
        return true;
    }

    /** A snapshot of state and counters. */
    VolumeStatus status();

    /** dm-writecache messages: {@code flush}, {@code flush_on_suspend}, {@code cleaner}. */
    void message(String message) throws IOException;

    /** Commits what is cached and stops writeback; with {@code drain}, first writes everything back. */
    void close(boolean drain) throws IOException;

    @Override
    default void close() throws IOException {
        close(false);
    }
}
