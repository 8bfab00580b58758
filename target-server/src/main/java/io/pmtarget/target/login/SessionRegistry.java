package io.pmtarget.target.login;

import java.util.Locale;
import java.util.Objects;

/**
 * The server's sessions, as login needs them (RFC 7143 6.3.1 and 7.3 on session identification
 * and reinstatement). Implementations are thread-safe: logins on different connections race.
 */
public interface SessionRegistry {

    /**
     * Identifies a session: RFC 7143 names the pair (InitiatorName+ISID, TargetName+TPGT).
     *
     * @param initiatorName lower-cased (iSCSI names compare case-insensitively)
     * @param isid 48-bit ISID
     * @param targetName lower-cased target name, or "" for discovery sessions
     * @param tpgt the portal group tag
     */
    record SessionKey(String initiatorName, long isid, String targetName, int tpgt) {
        public SessionKey {
            Objects.requireNonNull(initiatorName, "initiatorName");
            Objects.requireNonNull(targetName, "targetName");
            initiatorName = initiatorName.toLowerCase(Locale.ROOT);
            targetName = targetName.toLowerCase(Locale.ROOT);
        }
    }

    enum Result {
        ADMITTED,
        /** TSIH names no session of this initiator and ISID: 0x020a. */
        SESSION_DOES_NOT_EXIST,
        /** The session or target has no room for another connection: 0x0206. */
        TOO_MANY_CONNECTIONS,
        /** No TSIH or session slot left: 0x0302. */
        OUT_OF_RESOURCES
    }

    /**
     * @param tsih the session's TSIH when ADMITTED, else 0
     * @param reinstated an older session with the same key was closed to make room
     */
    record Admission(Result result, int tsih, boolean reinstated) {
        public Admission {
            Objects.requireNonNull(result, "result");
            if ((result == Result.ADMITTED) != (tsih > 0 && tsih <= 0xffff)) {
                throw new IllegalArgumentException("TSIH 1..65535 exactly when ADMITTED: " + tsih);
            }
        }
    }

    /** Early check of a non-zero TSIH in the first Login Request (before authentication). */
    boolean sessionExists(SessionKey key, int tsih);

    /**
     * Leading login (TSIH 0) completed: allocate a new non-zero TSIH. If a session with the same
     * key exists, this is session reinstatement (RFC 7143 6.3.5): close the old session first.
     */
    Admission admitLeading(SessionKey key, int cid);

    /**
     * Non-leading login (TSIH != 0) completed: add connection cid to that session. A CID already
     * in the session is connection reinstatement: close the old connection first.
     */
    Admission admitConnection(SessionKey key, int tsih, int cid, int maxConnections);
}
