package io.pmtarget.target.config;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One {@code targets."iqn..." { }} block.
 *
 * @param iqn                the iSCSI target name (RFC 7143 section 4.2.7)
 * @param alias              TargetAlias, or empty
 * @param portals            where it listens
 * @param tpgt               target portal group tag, 1..65535 (RFC 7143 section 13.9)
 * @param allowedInitiators  initiator names allowed to log in (exact, case-insensitive per RFC 3722 stringprep)
 * @param allowAnyInitiator  explicitly lets every initiator in; never combined with a list
 * @param chap               credentials the initiator must prove (one-way CHAP), or empty for none
 * @param mutualChap         credentials the target proves to the initiator (mutual CHAP), or empty
 * @param discoveryAuth      whether SendTargets discovery sessions that may see this target need CHAP
 * @param negotiation        operational limits offered/accepted at login
 * @param luns               LUNs by number
 */
public record TargetConfig(
        String iqn,
        String alias,
        List<Portal> portals,
        int tpgt,
        List<String> allowedInitiators,
        boolean allowAnyInitiator,
        Optional<ChapCredentials> chap,
        Optional<ChapCredentials> mutualChap,
        DiscoveryAuth discoveryAuth,
        Negotiation negotiation,
        SortedMap<Integer, LunConfig> luns) {

    public enum DiscoveryAuth { NONE, CHAP }

    public TargetConfig {
        Objects.requireNonNull(iqn, "iqn");
        Objects.requireNonNull(alias, "alias");
        portals = List.copyOf(portals);
        allowedInitiators = List.copyOf(allowedInitiators);
        Objects.requireNonNull(chap, "chap");
        Objects.requireNonNull(mutualChap, "mutualChap");
        Objects.requireNonNull(discoveryAuth, "discoveryAuth");
        Objects.requireNonNull(negotiation, "negotiation");
        luns = Collections.unmodifiableSortedMap(new TreeMap<>(luns));
        if (portals.isEmpty() || luns.isEmpty()) {
            throw new IllegalArgumentException("target " + iqn + " needs portals and LUNs");
        }
        if (allowAnyInitiator == !allowedInitiators.isEmpty()) {
            throw new IllegalArgumentException("target " + iqn + ": exactly one of allow-any / allowed list");
        }
        if (mutualChap.isPresent() && chap.isEmpty()) {
            throw new IllegalArgumentException("target " + iqn + ": mutual CHAP without CHAP");
        }
    }

    /** Deny unless listed: RFC 7143 leaves access control to the target; we default to closed. */
    public boolean allows(String initiatorName) {
        return allowAnyInitiator
                || allowedInitiators.stream().anyMatch(name -> name.equalsIgnoreCase(initiatorName));
    }
}
