package io.pmtarget.it.crash;

import io.pmtarget.it.support.PmtargetConfig;
import io.pmtarget.target.admin.AdminClient;
import io.pmtarget.target.admin.AdminResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code status} of our server's one volume, asked over its admin socket from this JVM (the
 * same request {@code pmtarget status} sends; a CLI process per poll would cost a JVM start).
 */
final class AdminStatus {

    private static final String PREFIX = "volume." + PmtargetConfig.VOLUME + ".";

    private final Map<String, String> fields;

    private AdminStatus(Map<String, String> fields) {
        this.fields = fields;
    }

    static AdminStatus fetch(Path adminSocket) throws IOException {
        AdminResponse r = AdminClient.request(adminSocket, "status " + PmtargetConfig.VOLUME);
        if (!r.ok()) {
            throw new IOException("status request to " + adminSocket + " failed: " + r.errorMessage());
        }
        return new AdminStatus(r.fields());
    }

    /** Sends a message ({@code flush}, {@code cleaner}) to the volume. */
    static void message(Path adminSocket, String message) throws IOException {
        AdminResponse r = AdminClient.request(adminSocket, message + " " + PmtargetConfig.VOLUME);
        if (!r.ok()) {
            throw new IOException(message + " request to " + adminSocket + " failed: " + r.errorMessage());
        }
    }

    /** The sticky error text; empty when the volume has none. */
    String error() {
        return fields.getOrDefault(PREFIX + "error", "");
    }

    long number(String field) {
        String v = fields.get(PREFIX + field);
        if (v == null) {
            throw new IllegalStateException("status has no field " + PREFIX + field + ": " + fields.keySet());
        }
        return Long.parseLong(v);
    }

    long blocksTotal() {
        return number("blocks_total");
    }

    long blocksFree() {
        return number("blocks_free");
    }

    long blocksWriteback() {
        return number("blocks_writeback");
    }

    long counter(String name) {
        return number("counter." + name);
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
