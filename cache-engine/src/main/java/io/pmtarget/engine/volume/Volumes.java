package io.pmtarget.engine.volume;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.pmem.PmemDevices;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens volumes. The one entry point of the engine for the server. */
public final class Volumes {

    private static final Logger LOG = LoggerFactory.getLogger(Volumes.class);

    private Volumes() {
    }

    /**
     * Opens (creating and formatting where the spec allows) the volume; recovers committed cache
     * contents and starts writeback.
     */
    public static Volume open(VolumeSpec spec) throws IOException {
        VolumeOptions options = VolumeOptions.parse(spec.options());
        BackingDevice backing = FileBackingDevice.open(spec.backingPath(), spec.backingSizeBytes());
        PmemDevice device;
        try {
            device = PmemDevices.open(spec.cachePath(), spec.cacheSizeBytes(), spec.persistence());
        } catch (RuntimeException e) {
            backing.close();
            throw new VolumeException(VolumeException.Kind.CACHE_ERROR,
                    "volume " + spec.name() + ": cannot open cache device " + spec.cachePath() + ": " + e.getMessage(), e);
        }
        return open(spec, device, backing, CommitFault.NONE);
    }

    /**
     * Opens a volume on given devices (tests: simulated pmem, fault-injecting backing). Takes ownership of
     * both devices: they are closed when the volume is, or here when opening fails.
     */
    public static Volume open(VolumeSpec spec, PmemDevice rawDevice, BackingDevice backing, CommitFault fault)
            throws IOException {
        Objects.requireNonNull(fault, "fault");
        try {
            VolumeOptions options = VolumeOptions.parse(spec.options());
            PmemDevice device = options.startSectorCount() == 0 ? rawDevice
                    : new OffsetPmemDevice(rawDevice, options.startSectorCount() * CacheLayout.SECTOR_BYTES);
            CacheLayout.checkBlockSize(spec.blockSizeBytes());
            CacheLayout layout = loadOrFormat(spec, device);
            if (layout.nBlocks() > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("n_blocks " + layout.nBlocks() + " exceeds the index limit");
            }
            long volumeBytes = backing.sizeBytes() / spec.blockSizeBytes() * spec.blockSizeBytes();
            if (volumeBytes <= 0) {
                throw new IllegalStateException("backing device of " + backing.sizeBytes() + " bytes holds no block");
            }
            CacheIndex index = new CacheIndex((int) layout.nBlocks());
            long startNanos = System.nanoTime();
            Recovery.Result r = Recovery.run(device, layout, index, volumeBytes / CacheLayout.SECTOR_BYTES);
            LOG.info("volume {}: cache {} blocks of {} B, persistence {}, recovered {} blocks ({} uncommitted erased, "
                    + "{} superseded) in {} ms{}", spec.name(), layout.nBlocks(), layout.blockSizeBytes(),
                    device.mode(), r.recovered(), r.erased(), r.superseded(),
                    (System.nanoTime() - startNanos) / 1_000_000, r.corruption() == null ? ""
                            : "; READ-ONLY: " + r.corruption());
            return new CacheVolume(spec.name(), device, backing, layout, options, volumeBytes, r, index, fault);
        } catch (IllegalStateException | IllegalArgumentException e) {
            closeQuietly(rawDevice, backing);
            throw new VolumeException(VolumeException.Kind.CACHE_ERROR, "volume " + spec.name() + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly(rawDevice, backing);
            throw e;
        }
    }

    private static CacheLayout loadOrFormat(VolumeSpec spec, PmemDevice device) {
        if (CacheLayout.isBlank(device)) {
            CacheLayout layout = CacheLayout.format(device, spec.blockSizeBytes());
            LOG.info("volume {}: formatted cache device {} ({} blocks of {} B)", spec.name(), spec.cachePath(),
                    layout.nBlocks(), layout.blockSizeBytes());
            return layout;
        }
        return CacheLayout.load(device, spec.blockSizeBytes());
    }

    private static void closeQuietly(PmemDevice device, BackingDevice backing) {
        try {
            device.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the cache device failed", e);
        }
        try {
            backing.close();
        } catch (IOException e) {
            LOG.warn("closing the backing device failed", e);
        }
    }

    /**
     * Checks dm-writecache option names and values without opening anything.
     *
     * @throws IllegalArgumentException with a message of the form {@code "key: problem"}
     */
    public static void validateOptions(Map<String, String> options) {
        VolumeOptions.parse(options);
    }
}
