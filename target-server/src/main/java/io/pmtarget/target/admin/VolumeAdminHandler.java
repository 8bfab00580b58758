package io.pmtarget.target.admin;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The server's admin commands over its opened volumes (see {@link AdminProtocol}). */
public final class VolumeAdminHandler implements AdminHandler {

    private final Map<String, Volume> volumes;
    private final String version;

    public VolumeAdminHandler(Map<String, Volume> volumes, String version) {
        this.volumes = Map.copyOf(volumes);
        this.version = version;
    }

    @Override
    public AdminResponse handle(String command, List<String> args) {
        switch (command) {
            case "ping":
                return args.isEmpty() ? AdminResponse.ok(Map.of("version", version)) : usage("ping");
            case "status":
                return status(args);
            case "flush":
            case "cleaner":
                // dm-writecache messages: flush = commit and write back everything; cleaner = stop
                // caching new writes and drain, so the cache can be removed.
                return args.size() == 1 ? message(command, args.get(0)) : usage(command + " VOLUME");
            default:
                return AdminResponse.error("unknown command '" + command + "' (ping, status, flush, cleaner)");
        }
    }

    private AdminResponse status(List<String> args) {
        if (args.size() > 1) {
            return usage("status [VOLUME]");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, Volume> entry : new java.util.TreeMap<>(volumes).entrySet()) {
            if (args.isEmpty() || args.get(0).equals(entry.getKey())) {
                putStatus(fields, entry.getValue().status());
            }
        }
        if (!args.isEmpty() && fields.isEmpty()) {
            return noSuchVolume(args.get(0));
        }
        return AdminResponse.ok(fields);
    }

    static void putStatus(Map<String, String> fields, VolumeStatus status) {
        String prefix = "volume." + status.name() + ".";
        fields.put(prefix + "error", status.error() == null ? "" : status.error());
        fields.put(prefix + "read_only", Boolean.toString(status.readOnly()));
        fields.put(prefix + "blocks_total", Long.toString(status.blocksTotal()));
        fields.put(prefix + "blocks_free", Long.toString(status.blocksFree()));
        fields.put(prefix + "blocks_writeback", Long.toString(status.blocksWriteback()));
        fields.put(prefix + "persistence_mode", String.valueOf(status.persistenceMode()));
        if (status.counters() != null) {
            new java.util.TreeMap<>(status.counters()).forEach(
                    (name, value) -> fields.put(prefix + "counter." + name, Long.toString(value)));
        }
    }

    private AdminResponse message(String message, String name) {
        Volume volume = volumes.get(name);
        if (volume == null) {
            return noSuchVolume(name);
        }
        try {
            volume.message(message);
        } catch (IOException e) {
            return AdminResponse.error(name + ": " + message + " failed: " + e.getMessage());
        }
        Map<String, String> fields = new LinkedHashMap<>();
        putStatus(fields, volume.status());
        return AdminResponse.ok(fields);
    }

    private AdminResponse noSuchVolume(String name) {
        return AdminResponse.error("no volume named '" + name + "' (volumes: "
                + String.join(", ", new java.util.TreeSet<>(volumes.keySet())) + ")");
    }

    private static AdminResponse usage(String usage) {
        return AdminResponse.error("usage: " + usage);
    }
}
