package io.pmtarget.target.config;

import io.pmtarget.target.config.VolumeConfig.Persistence;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** Reads {@code volumes { NAME { } }}. */
final class VolumeReader {

    static final String CACHE_FILE = "cache-file";
    static final String CACHE_SIZE = "cache-size";
    static final String BACKING_FILE = "backing-file";
    static final String BACKING_SIZE = "backing-size";
    static final String BLOCK_SIZE = "block-size";
    static final String PERSISTENCE = "persistence";
    static final String OPTIONS = "options";
    static final Set<String> KEYS = Set.of(CACHE_FILE, CACHE_SIZE, BACKING_FILE, BACKING_SIZE,
            BLOCK_SIZE, PERSISTENCE, OPTIONS);

    /** dm-writecache option names (Documentation/admin-guide/device-mapper/writecache.rst). */
    static final Set<String> OPTION_KEYS = Set.of("high_watermark", "low_watermark", "writeback_jobs",
            "autocommit_blocks", "autocommit_time", "max_age", "start_sector", "cleaner", "fua", "nofua");

    /** Names become status keys and log fields: keep them plain. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** dm-writecache block sizes: a power of two from the sector size to the page size. */
    static final int BLOCK_SIZE_DEFAULT_BYTES = 4096;
    /** Superblock (64 B) + one entry (16 B) + one 4 KiB block, rounded: anything smaller holds no data. */
    static final long CACHE_SIZE_MIN_BYTES = 64 * 1024;
    /** 2^50 bytes (1 PiB): far above any pmem module, catches a unit typo ("1EiB"). */
    static final long SIZE_MAX_BYTES = 1L << 50;

    private VolumeReader() {
    }

    /**
     * @param optionValidator the engine's {@code Volumes.validateOptions}: throws
     *                        IllegalArgumentException "key: problem"
     */
    static Map<String, VolumeConfig> read(Node volumes, Path dataDir, Consumer<Map<String, String>> optionValidator) {
        Map<String, VolumeConfig> out = new LinkedHashMap<>();
        if (volumes == null) {
            return out;
        }
        // file -> "cache-file of volume X": two writers of one file corrupt it.
        Map<Path, String> fileUsers = new java.util.HashMap<>();
        for (String name : volumes.keys()) {
            if (!NAME.matcher(name).matches()) {
                volumes.error(name, "volume names are 1..64 of A-Z a-z 0-9 _ -");
                continue;
            }
            Node node = volumes.child(name);
            if (node == null) {
                continue;
            }
            VolumeConfig volume = readOne(name, node, dataDir, optionValidator);
            if (volume != null && claim(node, CACHE_FILE, volume.cacheFile(), name, fileUsers)
                    && claim(node, BACKING_FILE, volume.backingFile(), name, fileUsers)) {
                out.put(name, volume);
            }
        }
        return out;
    }

    private static boolean claim(Node node, String key, Path file, String volume, Map<Path, String> fileUsers) {
        String previous = fileUsers.putIfAbsent(file, key + " of volume '" + volume + "'");
        if (previous != null) {
            node.error(key, file + " is already the " + previous);
            return false;
        }
        return true;
    }

    private static VolumeConfig readOne(String name, Node node, Path dataDir,
                                        Consumer<Map<String, String>> optionValidator) {
        node.rejectMergedDuplicate("volume '" + name + "'");
        node.allowOnly(KEYS);
        Path cacheFile = path(node, CACHE_FILE, dataDir);
        Path backingFile = path(node, BACKING_FILE, dataDir);
        long blockSize = node.integer(BLOCK_SIZE, BLOCK_SIZE_DEFAULT_BYTES, 512, 4096);
        if (Long.bitCount(blockSize) != 1) {
            node.error(BLOCK_SIZE, blockSize + " is not a power of two (512, 1024, 2048 or 4096)");
            blockSize = BLOCK_SIZE_DEFAULT_BYTES;
        }
        long cacheSize = node.bytes(CACHE_SIZE, 0, 0, SIZE_MAX_BYTES);
        if (cacheSize > 0 && cacheSize < CACHE_SIZE_MIN_BYTES) {
            node.error(CACHE_SIZE, cacheSize + " bytes is below the minimum " + CACHE_SIZE_MIN_BYTES);
        }
        long backingSize = node.bytes(BACKING_SIZE, 0, 0, SIZE_MAX_BYTES);
        if (backingSize > 0 && backingSize % blockSize != 0) {
            node.error(BACKING_SIZE, backingSize + " bytes is not a multiple of block-size " + blockSize);
        }
        // Size 0 means "use the existing file": reading whether it exists touches nothing.
        if (cacheFile != null && cacheSize == 0 && !Files.exists(cacheFile)) {
            node.error(CACHE_SIZE, "missing, and cache-file " + cacheFile + " does not exist to take its size from");
        }
        if (backingFile != null && backingSize == 0 && !Files.exists(backingFile)) {
            node.error(BACKING_SIZE, "missing, and backing-file " + backingFile + " does not exist to take its size from");
        }
        Persistence persistence = persistence(node);
        Map<String, String> options = options(node.child(OPTIONS), optionValidator);
        if (cacheFile == null || backingFile == null || cacheSize < 0 || backingSize < 0) {
            return null;
        }
        return new VolumeConfig(name, cacheFile, cacheSize, backingFile, backingSize, (int) blockSize,
                persistence, options);
    }

    private static Path path(Node node, String key, Path dataDir) {
        String text = node.requiredString(key);
        if (text == null) {
            return null;
        }
        Path path;
        try {
            path = dataDir.resolve(text).normalize();
        } catch (InvalidPathException e) {
            node.error(key, "not a valid path: " + e.getReason());
            return null;
        }
        // Only directories under data-dir are created: a missing /mnt/pmem0 means an unmounted
        // device, and creating it would put the cache on the root file system.
        Path parent = path.getParent();
        if (!path.startsWith(dataDir) && parent != null && !Files.isDirectory(parent)) {
            node.error(key, "directory " + parent + " does not exist (only directories under data-dir are created)");
            return null;
        }
        return path;
    }

    private static Persistence persistence(Node node) {
        String text = node.string(PERSISTENCE, "auto");
        for (Persistence p : Persistence.values()) {
            if (p.configName().equals(text.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        node.error(PERSISTENCE, "'" + text + "' is not one of auto, native, java");
        return Persistence.AUTO;
    }

    /** Options as text by dm-writecache name; values checked by the engine, located here. */
    private static Map<String, String> options(Node node, Consumer<Map<String, String>> optionValidator) {
        Map<String, String> options = new LinkedHashMap<>();
        if (node == null) {
            return options;
        }
        node.allowOnly(OPTION_KEYS);
        for (String key : node.keys()) {
            String text = node.string(key, null);
            if (text != null && OPTION_KEYS.contains(key)) {
                options.put(key, text);
            }
        }
        if (options.isEmpty()) {
            return options;
        }
        try {
            optionValidator.accept(Map.copyOf(options));
        } catch (IllegalArgumentException e) {
            locateOptionError(node, e.getMessage());
        } catch (UnsupportedOperationException e) {
            // The engine's validator is not built yet: the engine checks the options again at open.
            node.warnHere("not validated before start (the cache engine has no option validation yet: "
                    + e.getMessage() + ")");
        }
        return options;
    }

    /** The engine says "key: problem"; point at the key's line when it names one of ours. */
    private static void locateOptionError(Node node, String message) {
        String text = message == null ? "invalid options" : message;
        int colon = text.indexOf(": ");
        String key = colon > 0 ? text.substring(0, colon) : "";
        if (colon > 0 && node.has(key)) {
            node.error(key, text.substring(colon + 2));
        } else {
            node.errorHere(text);
        }
    }
}
