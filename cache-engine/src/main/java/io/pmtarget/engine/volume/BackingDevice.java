package io.pmtarget.engine.volume;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The slow device behind the cache. Offsets are bytes from the device's start (the volume adds
 * start_sector). Implementations: {@link FileBackingDevice}; tests add fault-injecting and crash-simulating
 * ones.
 */
public interface BackingDevice extends AutoCloseable {

    long sizeBytes();

    /** Reads exactly {@code dst.remaining()} bytes. */
    void read(long offsetBytes, ByteBuffer dst) throws IOException;

    /** Writes exactly {@code src.remaining()} bytes; durable only after {@link #force()}. */
    void write(long offsetBytes, ByteBuffer src) throws IOException;

    /** Makes every completed write durable (fdatasync). */
    void force() throws IOException;

    /**
     * Discards the range; durable after {@link #force()}. Afterwards it reads as zeros when
     * {@link #discardReadsZeros()}, otherwise its content is unspecified.
     */
    void discard(long offsetBytes, long lengthBytes) throws IOException;

    /** True when a discarded range reads back as zeros (SBC-4 LBPRZ); a block device with BLKDISCARD is not. */
    default boolean discardReadsZeros() {
        return true;
    }

    /**
     * True when {@link #read} never waits for device I/O: the data lives in RAM (a file on tmpfs or
     * ramfs). Such reads may run on a network event loop ({@link Volume#tryRead}).
     */
    default boolean readsWithoutBlocking() {
        return false;
    }

    @Override
    void close() throws IOException;
}
