package io.pmtarget.target.login;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** A fixed set of targets, as loaded from config. Immutable, hence thread-safe. */
public final class StaticTargetDirectory implements TargetDirectory {
    private final Map<String, TargetPolicy> byLowerName;
    private final List<TargetPolicy> targets;
    private final AuthPolicy discoveryAuth;
    private final boolean discoveryEnabled;
    private final NegotiationLimits discoveryLimits;

    public StaticTargetDirectory(List<TargetPolicy> targets, AuthPolicy discoveryAuth,
            boolean discoveryEnabled) {
        this(targets, discoveryAuth, discoveryEnabled, NegotiationLimits.DEFAULTS);
    }

    public StaticTargetDirectory(List<TargetPolicy> targets, AuthPolicy discoveryAuth,
            boolean discoveryEnabled, NegotiationLimits discoveryLimits) {
        this.discoveryLimits = Objects.requireNonNull(discoveryLimits, "discoveryLimits");
        this.targets = List.copyOf(targets);
        this.discoveryAuth = Objects.requireNonNull(discoveryAuth, "discoveryAuth");
        this.discoveryEnabled = discoveryEnabled;
        Map<String, TargetPolicy> map = new LinkedHashMap<>();
        for (TargetPolicy t : this.targets) {
            if (map.put(t.targetName().toLowerCase(Locale.ROOT), t) != null) {
                throw new IllegalArgumentException("duplicate target name " + t.targetName());
            }
        }
        this.byLowerName = Map.copyOf(map);
    }

    @Override
    public Lookup lookup(String targetName) {
        TargetPolicy t = byLowerName.get(targetName.toLowerCase(Locale.ROOT));
        return t == null ? new Lookup(State.NOT_FOUND, null) : new Lookup(State.AVAILABLE, t);
    }

    @Override
    public List<TargetPolicy> targets() {
        return targets;
    }

    @Override
    public AuthPolicy discoveryAuth() {
        return discoveryAuth;
    }

    @Override
    public NegotiationLimits discoveryLimits() {
        return discoveryLimits;
    }

    @Override
    public boolean discoveryEnabled() {
        return discoveryEnabled;
    }
}
