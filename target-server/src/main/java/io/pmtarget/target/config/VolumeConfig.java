package io.pmtarget.target.config;

import io.pmtarget.engine.volume.VolumeSpec;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code volumes.NAME { }} block, paths resolved against the data directory.
 *
 * @param cacheSizeBytes   0 = use the existing cache file's size
 * @param backingSizeBytes 0 = use the existing backing file's size; else the sparse size to create it with
 * @param options          dm-writecache options by their dm-writecache names, values as text
 */
public record VolumeConfig(
        String name,
        Path cacheFile,
        long cacheSizeBytes,
        Path backingFile,
        long backingSizeBytes,
        int blockSizeBytes,
        Persistence persistence,
        Map<String, String> options) {

    /** How the cache engine makes stores durable (see the engine's PmemDevice). */
    public enum Persistence {
        AUTO, NATIVE, JAVA;

        /** The spelling the config file and {@link VolumeSpec#persistence()} use. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public VolumeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cacheFile, "cacheFile");
        Objects.requireNonNull(backingFile, "backingFile");
        Objects.requireNonNull(persistence, "persistence");
        options = Map.copyOf(options);
        if (Integer.bitCount(blockSizeBytes) != 1 || blockSizeBytes < 512 || blockSizeBytes > 4096) {
            throw new IllegalArgumentException("block size " + blockSizeBytes + " of volume " + name);
        }
        if (cacheSizeBytes < 0 || backingSizeBytes < 0) {
            throw new IllegalArgumentException("negative size in volume " + name);
        }
    }

    public VolumeSpec toSpec() {
        return new VolumeSpec(name, cacheFile, cacheSizeBytes, backingFile, backingSizeBytes,
                blockSizeBytes, persistence.configName(), options);
    }
}
