package io.pmtarget.engine.volume;

import java.util.Map;

/**
 * The dm-writecache options of a volume, one place with name, default, unit and range (ranges as
 * dm-writecache's constructor accepts them, see Documentation/device-mapper/writecache.txt).
 *
 * @param startSectorCount    start_sector: backing-device offset of the volume in 512-byte sectors (default 0)
 * @param highWatermarkPct    high_watermark: writeback starts when this percent of blocks is used (0..100, 50)
 * @param lowWatermarkPct     low_watermark: writeback stops below this percent used (0..100, 45, <= high)
 * @param writebackJobsMax    writeback_jobs: blocks in flight to the backing device (0 = unlimited)
 * @param autocommitBlocks    autocommit_blocks: commit after this many uncommitted blocks (pmem default 64)
 * @param autocommitTimeMs    autocommit_time: commit after this many ms (default 1000, max 3600000)
 * @param maxAgeMs            max_age: write back blocks older than this (0 = no age limit; max 1 day)
 * @param cleaner             cleaner: start in cleaner mode (write-through, drain the cache)
 * @param fua                 fua/nofua: accepted for compatibility; pmem mode ignores them like dm-writecache
 */
public record VolumeOptions(
        long startSectorCount,
        int highWatermarkPct,
        int lowWatermarkPct,
        int writebackJobsMax,
        int autocommitBlocks,
        long autocommitTimeMs,
        long maxAgeMs,
        boolean cleaner,
        boolean fua) {

    public static final int HIGH_WATERMARK_DEFAULT_PCT = 50;
    public static final int LOW_WATERMARK_DEFAULT_PCT = 45;
    /** dm-writecache's pmem default: a commit per 64 blocks keeps commit cost below the copy cost. */
    public static final int AUTOCOMMIT_BLOCKS_DEFAULT = 64;
    public static final long AUTOCOMMIT_TIME_DEFAULT_MS = 1000;
    public static final long AUTOCOMMIT_TIME_MAX_MS = 3_600_000;
    /** dm-writecache caps max_age at one day. */
    public static final long MAX_AGE_MAX_MS = 86_400_000;
    /** Bounded like dm-writecache's writeback_jobs (an unsigned int). */
    public static final int WRITEBACK_JOBS_MAX = Integer.MAX_VALUE;
    public static final int AUTOCOMMIT_BLOCKS_MAX = 1 << 30;

    public static VolumeOptions defaults() {
        return new VolumeOptions(0, HIGH_WATERMARK_DEFAULT_PCT, LOW_WATERMARK_DEFAULT_PCT, 0,
                AUTOCOMMIT_BLOCKS_DEFAULT, AUTOCOMMIT_TIME_DEFAULT_MS, 0, false, true);
    }

    /** Parses and validates; throws {@link IllegalArgumentException} "key: problem". */
    public static VolumeOptions parse(Map<String, String> options) {
        long startSector = 0;
        int high = HIGH_WATERMARK_DEFAULT_PCT;
        int low = LOW_WATERMARK_DEFAULT_PCT;
        int jobs = 0;
        int autocommitBlocks = AUTOCOMMIT_BLOCKS_DEFAULT;
        long autocommitTime = AUTOCOMMIT_TIME_DEFAULT_MS;
        long maxAge = 0;
        boolean cleaner = false;
        Boolean fua = null;
        for (Map.Entry<String, String> option : options.entrySet()) {
            String key = option.getKey();
            String value = option.getValue();
            switch (key) {
                case "start_sector" -> startSector = number(key, value, 0, Long.MAX_VALUE / 512);
                case "high_watermark" -> high = (int) number(key, value, 0, 100);
                case "low_watermark" -> low = (int) number(key, value, 0, 100);
                case "writeback_jobs" -> jobs = (int) number(key, value, 0, WRITEBACK_JOBS_MAX);
                case "autocommit_blocks" -> autocommitBlocks = (int) number(key, value, 1, AUTOCOMMIT_BLOCKS_MAX);
                case "autocommit_time" -> autocommitTime = number(key, value, 1, AUTOCOMMIT_TIME_MAX_MS);
                case "max_age" -> maxAge = number(key, value, 1, MAX_AGE_MAX_MS);
                case "cleaner" -> cleaner = flag(key, value);
                case "fua", "nofua" -> {
                    boolean on = flag(key, value);
                    boolean wanted = key.equals("fua") == on;
                    if (fua != null && fua != wanted) {
                        throw new IllegalArgumentException(key + ": contradicts the other of fua/nofua");
                    }
                    fua = wanted;
                }
                default -> throw new IllegalArgumentException(key + ": unknown option (known: start_sector, "
                        + "high_watermark, low_watermark, writeback_jobs, autocommit_blocks, autocommit_time, "
                        + "max_age, cleaner, fua, nofua)");
            }
        }
        if (low > high) {
            throw new IllegalArgumentException("low_watermark: " + low + " is above high_watermark " + high);
        }
        return new VolumeOptions(startSector, high, low, jobs, autocommitBlocks, autocommitTime, maxAge, cleaner,
                fua == null || fua);
    }

    private static long number(String key, String value, long min, long max) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + ": needs a value (" + min + ".." + max + ")");
        }
        long parsed;
        try {
            parsed = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a whole number: '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(key + ": " + parsed + " is out of range " + min + ".." + max);
        }
        return parsed;
    }

    /** Flag options take no value in dm-writecache; we accept "", "true"/"false", "1"/"0", "yes"/"no". */
    private static boolean flag(String key, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "", "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException(key + ": not a flag value: '" + value + "'");
        };
    }
}
