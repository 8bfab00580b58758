package io.pmtarget.target.cli;

import io.netty.buffer.PooledByteBufAllocator;
import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.Volumes;
import io.pmtarget.target.Server;
import io.pmtarget.target.Version;
import io.pmtarget.target.config.LunConfig;
import io.pmtarget.target.config.ServerConfig;
import io.pmtarget.target.config.TargetConfig;
import io.pmtarget.target.portal.IscsiConnectionInitializer;
import io.pmtarget.target.portal.IscsiPortals;
import io.pmtarget.target.scsi.BlockScsiTarget;
import io.pmtarget.target.session.SessionLimits;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Where {@code pmtarget serve} gets its {@link Server} from: real volumes, the SBC/SPC target of
 * each configured target, and the iSCSI pipeline (codec, login, full-feature session) on every
 * portal. Tests may {@link #install} another factory.
 */
public final class ServerWiring {

    /** Builds an unstarted server for a validated config. */
    @FunctionalInterface
    public interface Factory {
        Server<?> create(ServerConfig config);
    }

    /**
     * Largest data-out of one command. Linux sizes its requests by VPD B0 MAXIMUM TRANSFER LENGTH;
     * 1 MiB keeps 64 such writes within a session's default 64 MiB buffer budget.
     */
    static final int MAX_DATA_OUT_BYTES = 1 << 20;
    /** I/O threads per LUN: the engine's copies run outside its locks, so two use both cores. */
    static final int LUN_IO_THREADS = 2;
    /** Commands queued per LUN beyond the running ones; more get TASK SET FULL. */
    static final int LUN_QUEUE_DEPTH = 1024;
    static final String PRODUCT_ID = "pmtarget";

    private static volatile Factory factory = ServerWiring::productionServer;

    private ServerWiring() {
    }

    /** Replaces the factory (tests). */
    public static void install(Factory replacement) {
        factory = replacement;
    }

    static Server<?> create(ServerConfig config) {
        return factory.create(config);
    }

    static Server<?> productionServer(ServerConfig config) {
        IscsiPortals portals = new IscsiPortals(IscsiConnectionInitializer.SESSIONS_MAX_DEFAULT,
                SessionLimits.defaults());
        java.nio.file.Path dataDir = config.server().dataDir();
        boolean inlineIo = config.server().inlineIo();
        return new Server<BlockScsiTarget>(config, Volumes::open,
                (target, volumes) -> scsiTarget(dataDir, inlineIo, target, volumes), portals::initializer);
    }

    /**
     * Persistent reservations with APTPL (SPC-5 5.13.5) survive restarts in a small file per LUN in
     * the data directory; the name is derived from target and LUN so a config change of other
     * targets never mixes them up.
     */
    static java.nio.file.Path prStateFile(java.nio.file.Path dataDir, String iqn, long lun) {
        String safe = iqn.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "_");
        return dataDir.resolve("pr-" + safe + "-lun" + lun + ".state");
    }

    static BlockScsiTarget scsiTarget(java.nio.file.Path dataDir, boolean inlineIo, TargetConfig target,
                                      Map<String, Volume> volumes) {
        List<io.pmtarget.target.scsi.LunConfig> luns = new ArrayList<>();
        for (LunConfig lun : target.luns().values()) {
            Volume volume = volumes.get(lun.volume());
            if (volume == null) {
                throw new IllegalStateException("LUN " + lun.lun() + " of " + target.iqn() + ": volume "
                        + lun.volume() + " is not open"); // the config loader rejects dangling references
            }
            luns.add(new io.pmtarget.target.scsi.LunConfig(lun.lun(), volume, lun.blockSizeBytes(), PRODUCT_ID,
                    revision(), serialNumber(target.iqn(), lun.lun()), volume.discardReadsZeros(), LUN_IO_THREADS,
                    LUN_QUEUE_DEPTH)
                    .withPrStateFile(prStateFile(dataDir, target.iqn(), lun.lun())));
        }
        return new BlockScsiTarget(target.iqn(), MAX_DATA_OUT_BYTES, luns, PooledByteBufAllocator.DEFAULT,
                inlineIo);
    }

    /** INQUIRY revision: at most 4 ASCII characters of the version, digits and dots only. */
    private static String revision() {
        String digits = Version.version().replaceAll("[^0-9.]", "");
        return digits.isEmpty() ? "0" : digits.substring(0, Math.min(4, digits.length()));
    }

    /** A serial number stable across restarts: derived from the target name and LUN. */
    static String serialNumber(String iqn, long lun) {
        CRC32C crc = new CRC32C();
        crc.update(iqn.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        return String.format("PMT%08x%04x", crc.getValue(), lun);
    }
}
