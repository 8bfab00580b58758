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

    /** Discards the range: afterwards it reads as zeros; durable after {@link #force()}. */
    void discard(long offsetBytes, long lengthBytes) throws IOException;

    @Override
    void close() throws IOException;
}
