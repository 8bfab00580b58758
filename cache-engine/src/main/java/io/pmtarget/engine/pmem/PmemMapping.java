package io.pmtarget.engine.pmem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import jdk.nio.mapmode.ExtendedMapMode;
import net.openhft.chronicle.bytes.MappedBytes;

/**
 * The whole cache file mapped once, addressed by raw offset from {@link #baseAddress()}.
 *
 * <p>Two ways to map, tried in this order:
 * <ol>
 *   <li>a synchronous mapping (JEP 352 {@code ExtendedMapMode.READ_WRITE_SYNC}, i.e. {@code MAP_SYNC}) which
 *       only a DAX file allows: the file system metadata is then always durable, so a CPU cache flush alone
 *       makes a store durable. The kernel refuses it with EOPNOTSUPP on page-cache files (tmpfs, ext4 without
 *       DAX) and the JDK reports that as an {@link IOException} or {@link UnsupportedOperationException}.
 *       A {@link MappedByteBuffer} cannot exceed {@link Integer#MAX_VALUE} bytes on JDK 17, so larger files
 *       skip this attempt.</li>
 *   <li>otherwise Chronicle Bytes {@link MappedBytes#singleMappedBytes(java.io.File, long)}: one mapping of
 *       the whole file that never moves (a chunked mapping may be re-mapped at another address, which raw
 *       addressing cannot tolerate).</li>
 * </ol>
 */
final class PmemMapping implements AutoCloseable {

    /** Window size of the msync views used by the Java persister; below the 2 GiB MappedByteBuffer limit. */
    static final long MSYNC_WINDOW_BYTES = 1L << 30;

    private final Path file;
    private final long sizeBytes;
    private final long baseAddress;
    /** Non-null when the synchronous (MAP_SYNC) mapping is active. */
    private final MappedByteBuffer syncBuffer;
    /** Non-null when the Chronicle mapping is active. */
    private final MappedBytes chronicleBytes;
    private MappedByteBuffer[] msyncWindows;
    private boolean closed;

    private PmemMapping(Path file, long sizeBytes, MappedByteBuffer syncBuffer, MappedBytes chronicleBytes,
                        long baseAddress) {
        this.file = file;
        this.sizeBytes = sizeBytes;
        this.syncBuffer = syncBuffer;
        this.chronicleBytes = chronicleBytes;
        this.baseAddress = baseAddress;
    }

    /** Maps {@code file}, which must already exist with exactly {@code sizeBytes} bytes. */
    static PmemMapping map(Path file, long sizeBytes) {
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("sizeBytes must be positive: " + sizeBytes);
        }
        MappedByteBuffer sync = trySyncMap(file, sizeBytes);
        if (sync != null) {
            return new PmemMapping(file, sizeBytes, sync, null, UnsafeAccess.addressAtPosition(sync.duplicate().position(0)));
        }
        MappedBytes bytes;
        try {
            bytes = MappedBytes.singleMappedBytes(file.toFile(), sizeBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map " + file + " (" + sizeBytes + " bytes)", e);
        }
        // The address is taken once here; later calls from other threads never touch the Chronicle object.
        bytes.singleThreadedCheckDisabled(true);
        long base = bytes.addressForWrite(0);
        return new PmemMapping(file, sizeBytes, null, bytes, base);
    }

    /** Returns the synchronous mapping, or null when the file (or its size) does not allow one. */
    static MappedByteBuffer trySyncMap(Path file, long sizeBytes) {
        if (sizeBytes > Integer.MAX_VALUE) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(ExtendedMapMode.READ_WRITE_SYNC, 0, sizeBytes);
        } catch (IOException | UnsupportedOperationException e) {
            // EOPNOTSUPP: not a DAX file. Expected on tmpfs and ordinary file systems.
            return null;
        }
    }

    Path file() {
        return file;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    long baseAddress() {
        return baseAddress;
    }

    boolean isMapSync() {
        return syncBuffer != null;
    }

    /** Bytes per window of {@link #msyncWindows()}: the whole file when the synchronous mapping is the view. */
    long msyncWindowBytes() {
        return syncBuffer != null ? Long.MAX_VALUE : MSYNC_WINDOW_BYTES;
    }

    /**
     * {@link MappedByteBuffer} views covering the file in {@link #MSYNC_WINDOW_BYTES} windows, for
     * {@code force(index, length)}. They are separate shared mappings of the same page-cache pages, so msync
     * through them writes back stores made through {@link #baseAddress()}. With a synchronous mapping the
     * view is that mapping itself, whose {@code force} the JDK implements as a cache-line write-back.
     */
    synchronized MappedByteBuffer[] msyncWindows() {
        if (msyncWindows != null) {
            return msyncWindows;
        }
        if (syncBuffer != null) {
            msyncWindows = new MappedByteBuffer[] {syncBuffer};
            return msyncWindows;
        }
        int count = (int) ((sizeBytes + MSYNC_WINDOW_BYTES - 1) / MSYNC_WINDOW_BYTES);
        MappedByteBuffer[] windows = new MappedByteBuffer[count];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (int i = 0; i < count; i++) {
                long start = i * MSYNC_WINDOW_BYTES;
                windows[i] = ch.map(FileChannel.MapMode.READ_WRITE, start, Math.min(MSYNC_WINDOW_BYTES, sizeBytes - start));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map msync views of " + file, e);
        }
        msyncWindows = windows;
        return windows;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (msyncWindows != null && syncBuffer == null) {
            for (MappedByteBuffer w : msyncWindows) {
                UnsafeAccess.UNSAFE.invokeCleaner(w);
            }
        }
        msyncWindows = null;
        if (syncBuffer != null) {
            UnsafeAccess.UNSAFE.invokeCleaner(syncBuffer);
        }
        if (chronicleBytes != null) {
            chronicleBytes.releaseLast();
        }
    }
}
