package io.pmtarget.engine.volume;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to open a volume, as the config file gives it.
 *
 * @param name             volume name (for logs and status)
 * @param cachePath        the cache device: a DAX file on pmem, or any file
 * @param cacheSizeBytes   size to create/format the cache file with; 0 = use the existing file's size
 * @param backingPath      the backing device: a block device or a file
 * @param backingSizeBytes size to create a missing backing file with (sparse); 0 = use the existing size
 * @param blockSizeBytes   cache block size, power of two 512..4096
 * @param persistence      "auto" (native helper, else pure Java), "native" or "java"
 * @param options          dm-writecache options by their names (high_watermark, low_watermark,
 *                         writeback_jobs, autocommit_blocks, autocommit_time, max_age, start_sector,
 *                         cleaner, fua, nofua); values as text, validated by {@link Volumes#validateOptions}
 */
public record VolumeSpec(
        String name,
        Path cachePath,
        long cacheSizeBytes,
        Path backingPath,
        long backingSizeBytes,
        int blockSizeBytes,
        String persistence,
        Map<String, String> options) {

    public VolumeSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cachePath, "cachePath");
        Objects.requireNonNull(backingPath, "backingPath");
        Objects.requireNonNull(persistence, "persistence");
        options = Map.copyOf(options);
    }
}
