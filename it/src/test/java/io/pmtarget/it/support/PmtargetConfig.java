package io.pmtarget.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes the HOCON config our server reads ({@code serve --config FILE}). This is the ONLY
 * place in the it module that knows the config format (conf/pmtarget.conf from the config-cli
 * branch: blocks {@code server}, {@code volumes}, {@code targets}; unknown keys are errors), so
 * when a key changes, only this class changes.
 *
 * <p>The LUN's logical block size is 512 bytes, like tgtd's rdwr LUNs, so both targets answer
 * the same READ CAPACITY and the block arithmetic of the tests holds for both.
 */
public final class PmtargetConfig {

    /** The one volume the it tests use. */
    public static final String VOLUME = "itvol";
    public static final int BLOCK_SIZE_BYTES = 512;
    /** Cache device size relative to the LUN: small enough that writeback really happens. */
    private static final long CACHE_FRACTION_DIVISOR = 4;
    private static final long CACHE_SIZE_BYTES_MIN = 16 * TargetOptions.MIB;

    private PmtargetConfig() {
    }

    /**
     * @param file     where to write (mode 0600: it may hold CHAP secrets, and the server warns otherwise)
     * @param dataDir  server.data-dir: cache and backing files and the admin socket (kept across restarts)
     */
    public static void write(Path file, Path dataDir, int port, String iqn, int lun, TargetOptions o)
            throws IOException {
        long cacheSizeMib = Math.max(CACHE_SIZE_BYTES_MIN, o.lunSizeBytes() / CACHE_FRACTION_DIVISOR)
                / TargetOptions.MIB;
        StringBuilder s = new StringBuilder();
        s.append("# written by io.pmtarget.it.support.PmtargetConfig for an integration test\n");
        s.append("server {\n");
        s.append("  data-dir = ").append(quote(dataDir.toString())).append('\n');
        s.append("  admin-socket = \"admin.sock\"\n");
        s.append("}\n");
        s.append("volumes {\n");
        s.append("  ").append(VOLUME).append(" {\n");
        s.append("    cache-file = \"").append(VOLUME).append(".cache\"\n");
        s.append("    cache-size = ").append(cacheSizeMib).append("MiB\n");
        s.append("    backing-file = \"").append(VOLUME).append(".img\"\n");
        s.append("    backing-size = ").append(o.lunSizeBytes() / TargetOptions.MIB).append("MiB\n");
        s.append("    block-size = ").append(BLOCK_SIZE_BYTES).append('\n');
        s.append("  }\n");
        s.append("}\n");
        s.append("targets {\n");
        s.append("  ").append(quote(iqn)).append(" {\n");
        s.append("    portals = [").append(quote(IscsiUrl.HOST + ":" + port)).append("]\n");
        s.append("    tpgt = 1\n");
        s.append("    allow-any-initiator = true\n");
        if (o.chap()) {
            s.append("    chap { user = ").append(quote(o.chapUser()))
                    .append(", secret = ").append(quote(o.chapSecret())).append(" }\n");
        }
        if (o.mutualChap()) {
            s.append("    mutual-chap { user = ").append(quote(o.mutualUser()))
                    .append(", secret = ").append(quote(o.mutualSecret())).append(" }\n");
        }
        s.append("    discovery-auth = none\n");
        s.append("    negotiation { HeaderDigest = ")
                .append(quote(o.headerDigest() ? "CRC32C,None" : "None")).append(" }\n");
        s.append("    luns {\n");
        s.append("      ").append(lun).append(" { volume = ").append(VOLUME)
                .append(", block-size = ").append(BLOCK_SIZE_BYTES).append(" }\n");
        s.append("    }\n");
        s.append("  }\n");
        s.append("}\n");
        Files.writeString(file, s.toString());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
