package io.pmtarget.target.login;

import java.util.List;

/** The targets this server offers, as seen by login and discovery. Implementations are thread-safe. */
public interface TargetDirectory {

    /** Availability of a named target. */
    enum State {
        AVAILABLE,
        /** Unknown name: 0x0203. */
        NOT_FOUND,
        /** Configured but being removed: 0x0204. */
        REMOVED,
        /** Temporarily unable to serve (e.g. its volume is not open yet): 0x0301. */
        UNAVAILABLE
    }

    /** Result of {@link #lookup}: policy is non-null iff state is AVAILABLE. */
    record Lookup(State state, TargetPolicy policy) {
        public Lookup {
            if ((state == State.AVAILABLE) != (policy != null)) {
                throw new IllegalArgumentException("policy must be given exactly when AVAILABLE");
            }
        }
    }

    /** The target with this name (iSCSI names compare case-insensitively). */
    Lookup lookup(String targetName);

    /** All available targets, in config order, for SendTargets. */
    List<TargetPolicy> targets();

    /** Authentication for discovery sessions. */
    AuthPolicy discoveryAuth();

    /** Negotiation limits for discovery sessions (digests, MaxRecvDataSegmentLength). */
    default NegotiationLimits discoveryLimits() {
        return NegotiationLimits.DEFAULTS;
    }

    /** False refuses SessionType=Discovery with 0x0209. */
    default boolean discoveryEnabled() {
        return true;
    }
}
