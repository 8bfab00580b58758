package io.pmtarget.it.support;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-test settings of the one volume behind our server's LUN, for tests that need the cache
 * engine in a particular state (a cache small enough that writeback runs all the time, a
 * backing file on a file system that fills up). tgtd has no cache and ignores all of this.
 * {@link PmtargetConfig} turns it into config keys; nothing else knows the config format.
 *
 * @param cacheSizeBytes 0 = PmtargetConfig's default (a quarter of the LUN, at least 16 MiB)
 * @param backingFile    null = {@code itvol.img} in the server's data dir; else an absolute path
 * @param options        dm-writecache options by their dm-writecache names (high_watermark, ...)
 */
public record VolumeTuning(long cacheSizeBytes, Path backingFile, Map<String, String> options) {

    public VolumeTuning {
        if (cacheSizeBytes < 0) {
            throw new IllegalArgumentException("cacheSizeBytes must be >= 0: " + cacheSizeBytes);
        }
        if (backingFile != null && !backingFile.isAbsolute()) {
            throw new IllegalArgumentException("backingFile must be absolute: " + backingFile);
        }
        options = Map.copyOf(options);
    }

    public static VolumeTuning defaults() {
        return new VolumeTuning(0, null, Map.of());
    }

    public VolumeTuning withCacheSizeBytes(long sizeBytes) {
        return new VolumeTuning(sizeBytes, backingFile, options);
    }

    public VolumeTuning withBackingFile(Path file) {
        return new VolumeTuning(cacheSizeBytes, file, options);
    }

    public VolumeTuning withOption(String dmWritecacheName, String value) {
        Map<String, String> copy = new LinkedHashMap<>(options);
        copy.put(dmWritecacheName, value);
        return new VolumeTuning(cacheSizeBytes, backingFile, copy);
    }

    public String describe() {
        return "cache " + (cacheSizeBytes == 0 ? "default" : (cacheSizeBytes / 1024) + " KiB")
                + (backingFile == null ? "" : ", backing " + backingFile) + (options.isEmpty() ? "" : ", " + options);
    }
}
