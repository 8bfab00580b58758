package io.pmtarget.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes the HOCON config our server reads ({@code serve --config FILE}). This is the ONLY
 * place in the it module that knows the config format, so when the config-cli branch changes a
 * key name, only this class changes. Format as of writing (config-cli not yet committed, see
 * DESIGN.md section 3): blocks {@code volumes {...}} and {@code targets {...}}; LUNs map onto
 * volumes by name; CHAP keys follow RFC 7143 naming.
 */
public final class PmtargetConfig {

    /** The one volume the it tests use. */
    public static final String VOLUME = "itvol";
    /** Cache device size relative to the LUN: small enough that writeback really happens. */
    private static final long CACHE_FRACTION_DIVISOR = 4;
    private static final long CACHE_SIZE_BYTES_MIN = 16 * TargetOptions.MIB;

    private PmtargetConfig() {
    }

    /**
     * @param file     where to write (mode 0600: it may hold CHAP secrets)
     * @param dataDir  directory for the cache and backing files (kept across restarts)
     */
    public static void write(Path file, Path dataDir, int port, String iqn, int lun, TargetOptions o)
            throws IOException {
        long cacheSizeBytes = Math.max(CACHE_SIZE_BYTES_MIN, o.lunSizeBytes() / CACHE_FRACTION_DIVISOR);
        StringBuilder s = new StringBuilder();
        s.append("# written by io.pmtarget.it.support.PmtargetConfig for an integration test\n");
        s.append("volumes {\n");
        s.append("  ").append(VOLUME).append(" {\n");
        s.append("    cache-file = ").append(quote(dataDir.resolve("cache.img").toString())).append('\n');
        s.append("    cache-size-bytes = ").append(cacheSizeBytes).append('\n');
        s.append("    backing-file = ").append(quote(dataDir.resolve("backing.img").toString())).append('\n');
        s.append("    size-bytes = ").append(o.lunSizeBytes()).append('\n');
        s.append("    block-size-bytes = 512\n");
        s.append("  }\n");
        s.append("}\n");
        s.append("targets {\n");
        s.append("  ").append(quote(iqn)).append(" {\n");
        s.append("    portals = [").append(quote(IscsiUrl.HOST + ":" + port)).append("]\n");
        s.append("    allowed-initiators = [\"ALL\"]\n");
        if (o.chap()) {
            s.append("    chap { user = ").append(quote(o.chapUser()))
                    .append(", secret = ").append(quote(o.chapSecret())).append(" }\n");
        }
        if (o.mutualChap()) {
            s.append("    mutual-chap { user = ").append(quote(o.mutualUser()))
                    .append(", secret = ").append(quote(o.mutualSecret())).append(" }\n");
        }
        s.append("    negotiation { HeaderDigest = ")
                .append(quote(o.headerDigest() ? "CRC32C,None" : "None")).append(" }\n");
        s.append("    luns { ").append(lun).append(" = ").append(VOLUME).append(" }\n");
        s.append("  }\n");
        s.append("}\n");
        Files.writeString(file, s.toString());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
