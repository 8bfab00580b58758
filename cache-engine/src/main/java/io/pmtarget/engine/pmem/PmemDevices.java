package io.pmtarget.engine.pmem;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a cache file as a {@link PmemDevice}.
 *
 * <p>Persistence modes (the {@code persistence} argument):
 * <ul>
 *   <li>{@code "auto"}: the native helper where CPU cache flushes alone make stores durable as far as the
 *       medium allows: a synchronous DAX mapping ({@code +map_sync}), or a RAM file system (tmpfs, ramfs), where
 *       nothing survives power loss and msync adds nothing. On any other file (a disk file system without DAX)
 *       only msync reaches stable storage, so auto picks the pure-Java msync fallback there: the durability
 *       contract (a commit survives power loss) wins over speed. Also the fallback when the helper does not
 *       load;</li>
 *   <li>{@code "native"}: the native helper, or an {@link IllegalStateException} saying why it did not load;</li>
 *   <li>{@code "java"}: always the pure-Java fallback.</li>
 * </ul>
 * Resulting {@link PmemDevice#mode()} values: {@code native-clwb}, {@code native-clflushopt},
 * {@code native-clflush} or {@code java-msync}, with {@code +map_sync} appended when the file allowed a
 * synchronous (DAX) mapping.
 *
 * <p>Durability note: the native modes flush CPU caches. On a DAX file with {@code +map_sync} that is power-fail
 * durable on real persistent memory. On a page-cache file (tmpfs, a disk file system without DAX) a cache
 * flush only guarantees survival of a process crash; only {@code java-msync} writes such a file back to its
 * storage.
 */
public final class PmemDevices {

    public static final String PERSISTENCE_AUTO = "auto";
    public static final String PERSISTENCE_NATIVE = "native";
    public static final String PERSISTENCE_JAVA = "java";

    /**
     * Device sizes must be whole pages: Chronicle's single mapping rounds the mapped length up to a page and
     * would silently grow a file of any other size.
     */
    public static final long PAGE_BYTES = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(PmemDevices.class);

    private PmemDevices() {
    }

    /**
     * Opens (creating if missing) {@code file} as a persistent-memory device.
     *
     * @param sizeBytes   size of the device, a multiple of {@link #PAGE_BYTES}; 0 means "use the existing file's size" (the file must exist). A
     *                    missing file is created with this size; an existing file of another size is an error.
     * @param persistence "auto", "native" or "java" (see the class comment)
     * @throws IllegalArgumentException on a bad size or persistence name, or a size mismatch
     * @throws IllegalStateException    when "native" is asked for and the helper does not load
     * @throws UncheckedIOException     when the file cannot be created, sized or mapped
     */
    public static PmemDevice open(Path file, long sizeBytes, String persistence) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must be >= 0 (0 = size of the existing file): " + sizeBytes);
        }
        if (sizeBytes % PAGE_BYTES != 0) {
            throw new IllegalArgumentException("sizeBytes must be a multiple of " + PAGE_BYTES + ": " + sizeBytes);
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            // The on-media format is little-endian and the device stores words in native order.
            throw new IllegalStateException("big-endian platforms are not supported");
        }
        String wanted = persistence == null ? "" : persistence.toLowerCase(Locale.ROOT);
        if (!wanted.equals(PERSISTENCE_AUTO) && !wanted.equals(PERSISTENCE_NATIVE) && !wanted.equals(PERSISTENCE_JAVA)) {
            throw new IllegalArgumentException("persistence must be auto, native or java: " + persistence);
        }
        String nativeFailure = wanted.equals(PERSISTENCE_JAVA) ? "not requested" : NativePmem.load();
        if (wanted.equals(PERSISTENCE_NATIVE) && nativeFailure != null) {
            throw new IllegalStateException("persistence=native for " + file + " but " + nativeFailure);
        }
        long actualSizeBytes = prepareFile(file, sizeBytes);
        PmemMapping mapping = PmemMapping.map(file, actualSizeBytes);
        try {
            if (wanted.equals(PERSISTENCE_AUTO) && nativeFailure == null && !mapping.isMapSync()
                    && !onRamFileSystem(file)) {
                nativeFailure = "page-cache file on a disk file system: only msync makes it durable";
            }
            Persister persister = nativeFailure == null ? new NativePersister() : new MsyncPersister(mapping);
            MappedPmemDevice device = new MappedPmemDevice(mapping, persister);
            if (wanted.equals(PERSISTENCE_AUTO) && nativeFailure != null) {
                LOG.info("pmem {}: {} bytes, mode {} (persistence=auto; {})", file, actualSizeBytes, device.mode(),
                        nativeFailure);
            } else {
                LOG.info("pmem {}: {} bytes, mode {} (persistence={})", file, actualSizeBytes, device.mode(), wanted);
            }
            return device;
        } catch (RuntimeException | Error e) {
            mapping.close();
            throw e;
        }
    }

    /** tmpfs and ramfs keep files in RAM only: a CPU cache flush is as durable as they get. */
    public static boolean onRamFileSystem(Path file) {
        try {
            String type = Files.getFileStore(file).type();
            return type.equals("tmpfs") || type.equals("ramfs");
        } catch (IOException e) {
            return false; // unknown: choose the safe mode
        }
    }

    /** Creates or checks the file; returns its size in bytes. */
    private static long prepareFile(Path file, long sizeBytes) {
        try {
            if (!Files.exists(file)) {
                if (sizeBytes == 0) {
                    throw new IllegalArgumentException("sizeBytes 0 means use the existing file, but " + file
                            + " does not exist");
                }
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(sizeBytes);
                }
                return sizeBytes;
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + " is not a regular file");
            }
            long existingBytes = Files.size(file);
            if (sizeBytes != 0 && existingBytes != sizeBytes) {
                throw new IllegalArgumentException(file + " has " + existingBytes + " bytes but sizeBytes="
                        + sizeBytes + " was asked for");
            }
            if (existingBytes == 0) {
                throw new IllegalArgumentException(file + " is empty; give a sizeBytes to create a device");
            }
            if (existingBytes % PAGE_BYTES != 0) {
                throw new IllegalArgumentException(file + " has " + existingBytes + " bytes, not a multiple of "
                        + PAGE_BYTES);
            }
            return existingBytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create or size " + file + ": " + e.getMessage(), e);
        }
    }
}
