package io.pmtarget.target.scsi;

import io.pmtarget.engine.volume.Volume;
import java.util.Objects;

/**
 * One logical unit: a volume plus what the initiator sees of it.
 *
 * <p>The LUN block size must be a multiple of the volume's block size (so every SCSI block maps to
 * whole volume blocks and no read-modify-write is ever needed): a 512-byte volume serves 512 or
 * 4096-byte LUNs, a 4096-byte volume serves only 4096-byte LUNs.
 *
 * @param lun               LUN number, 0..16383 (flat space addressing, SAM-5 4.7.6)
 * @param volume            the volume served (owned by the caller: the target never closes it)
 * @param blockSizeBytes    logical block length reported to initiators: 512 or 4096
 * @param productId         INQUIRY PRODUCT IDENTIFICATION, ASCII, at most 16 characters
 * @param revision          INQUIRY PRODUCT REVISION LEVEL, ASCII, at most 4 characters
 * @param serialNumber      unit serial number (VPD 0x80), ASCII, 1..32 characters, no spaces
 * @param discardReadsZeros true when discarded blocks read back as zeros (backing file with hole
 *                          punching): reported as LBPRZ and lets WRITE SAME of zeros with UNMAP
 *                          discard; false when the backing device gives no such promise
 * @param ioThreads         threads of this LU's I/O executor, 1..64
 * @param queueDepth        commands queued for the executor beyond the running ones, 1..65536;
 *                          more get TASK SET FULL
 */
public record LunConfig(
        long lun,
        Volume volume,
        int blockSizeBytes,
        String productId,
        String revision,
        String serialNumber,
        boolean discardReadsZeros,
        int ioThreads,
        int queueDepth) {

    public static final int LUN_MAX = 16383;
    public static final int IO_THREADS_MAX = 64;
    public static final int QUEUE_DEPTH_MAX = 65536;

    public LunConfig {
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(productId, "productId");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(serialNumber, "serialNumber");
        if (lun < 0 || lun > LUN_MAX) {
            throw new IllegalArgumentException("lun: " + lun + " not in 0.." + LUN_MAX);
        }
        if (blockSizeBytes != 512 && blockSizeBytes != 4096) {
            throw new IllegalArgumentException("lun " + lun + ": blockSizeBytes " + blockSizeBytes + " is not 512 or 4096");
        }
        int volumeBlockBytes = volume.blockSizeBytes();
        if (volumeBlockBytes <= 0 || blockSizeBytes % volumeBlockBytes != 0) {
            throw new IllegalArgumentException("lun " + lun + ": blockSizeBytes " + blockSizeBytes
                    + " is not a multiple of volume " + volume.name() + " block size " + volumeBlockBytes);
        }
        checkAscii("productId", productId, 1, 16);
        checkAscii("revision", revision, 1, 4);
        checkAscii("serialNumber", serialNumber, 1, 32);
        if (serialNumber.indexOf(' ') >= 0) {
            throw new IllegalArgumentException("serialNumber: must not contain spaces: '" + serialNumber + "'");
        }
        if (ioThreads < 1 || ioThreads > IO_THREADS_MAX) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " not in 1.." + IO_THREADS_MAX);
        }
        if (queueDepth < 1 || queueDepth > QUEUE_DEPTH_MAX) {
            throw new IllegalArgumentException("queueDepth: " + queueDepth + " not in 1.." + QUEUE_DEPTH_MAX);
        }
    }

    /** Defaults: 512-byte blocks (or the volume's block size if larger), product "pmtarget disk". */
    public static LunConfig of(long lun, Volume volume, String serialNumber, boolean discardReadsZeros) {
        int blockBytes = Math.max(512, volume.blockSizeBytes());
        return new LunConfig(lun, volume, blockBytes, "pmtarget disk", "0001", serialNumber,
                discardReadsZeros, 4, 256);
    }

    private static void checkAscii(String key, String value, int minLength, int maxLength) {
        if (value.length() < minLength || value.length() > maxLength) {
            throw new IllegalArgumentException(key + ": length " + value.length() + " not in " + minLength + ".." + maxLength);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                throw new IllegalArgumentException(key + ": not printable ASCII at index " + i + ": '" + value + "'");
            }
        }
    }
}
