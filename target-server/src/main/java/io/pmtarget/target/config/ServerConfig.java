package io.pmtarget.target.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole validated configuration: produced only by {@link ConfigLoader}, immutable.
 *
 * @param source   where it came from (a file path or "embedded default")
 * @param server   process-wide settings
 * @param volumes  volume definitions by name, in file order
 * @param targets  iSCSI targets, in file order
 * @param warnings problems that do not stop the server (world-readable secrets, unused volumes)
 */
public record ServerConfig(
        String source,
        ServerSettings server,
        Map<String, VolumeConfig> volumes,
        List<TargetConfig> targets,
        List<String> warnings) {

    public ServerConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(server, "server");
        volumes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
        targets = List.copyOf(targets);
        warnings = List.copyOf(warnings);
        for (TargetConfig target : targets) {
            for (LunConfig lun : target.luns().values()) {
                if (!volumes.containsKey(lun.volume())) {
                    throw new IllegalArgumentException("LUN " + lun.lun() + " of " + target.iqn()
                            + " names unknown volume " + lun.volume());
                }
            }
        }
    }

    /** Every distinct portal of every target, in file order (what the server listens on). */
    public List<Portal> portals() {
        return targets.stream().flatMap(t -> t.portals().stream()).distinct().toList();
    }
}
