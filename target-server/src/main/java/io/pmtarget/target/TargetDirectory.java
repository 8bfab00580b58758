package io.pmtarget.target;

import io.pmtarget.target.config.Portal;
import io.pmtarget.target.config.TargetConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The configured targets and their built objects, immutable once the server has started.
 * Lookups by name are case-insensitive (RFC 3722 stringprep folds iSCSI names to lower case).
 *
 * @param <T> the built target type
 */
public final class TargetDirectory<T> {

    /** One target: its config and what {@link TargetFactory} built from it. */
    public record Entry<T>(TargetConfig config, T target) {
        public Entry {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(target, "target");
        }
    }

    private final Map<String, Entry<T>> byName;

    public TargetDirectory(List<Entry<T>> entries) {
        Map<String, Entry<T>> map = new LinkedHashMap<>();
        for (Entry<T> entry : entries) {
            Entry<T> previous = map.put(key(entry.config().iqn()), entry);
            if (previous != null) {
                throw new IllegalArgumentException("target " + entry.config().iqn() + " twice");
            }
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    public Optional<Entry<T>> find(String targetName) {
        return Optional.ofNullable(byName.get(key(targetName)));
    }

    public List<Entry<T>> all() {
        return List.copyOf(byName.values());
    }

    /** Targets reachable through {@code portal} (SendTargets answers with these, RFC 7143 section 4.3). */
    public List<Entry<T>> targetsOn(Portal portal) {
        List<Entry<T>> out = new ArrayList<>();
        for (Entry<T> entry : byName.values()) {
            if (entry.config().portals().contains(portal)) {
                out.add(entry);
            }
        }
        return out;
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
