package io.pmtarget.target.config;

import java.util.Objects;

/**
 * One {@code luns.N { }} entry.
 *
 * @param lun            LUN number, 0..16383 (SAM-5 flat/peripheral addressing, 14 bits)
 * @param volume         name of the volume behind it
 * @param blockSizeBytes logical block size the initiator sees (512 or 4096), a multiple of the volume's block size
 */
public record LunConfig(int lun, String volume, int blockSizeBytes) {

    public static final int LUN_MAX = 16383;

    public LunConfig {
        Objects.requireNonNull(volume, "volume");
        if (lun < 0 || lun > LUN_MAX) {
            throw new IllegalArgumentException("LUN " + lun);
        }
        if (blockSizeBytes != 512 && blockSizeBytes != 4096) {
            throw new IllegalArgumentException("LUN block size " + blockSizeBytes);
        }
    }
}
