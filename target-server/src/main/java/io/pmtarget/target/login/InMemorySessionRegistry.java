package io.pmtarget.target.login;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link SessionRegistry} in memory. Closing a replaced session or connection is delegated to
 * a {@link Closer} (the session layer), called under this registry's lock, which must not call
 * back into the registry. The session layer calls {@link #release} when a connection ends.
 */
public final class InMemorySessionRegistry implements SessionRegistry {

    /** Closes sessions and connections that a reinstatement replaces. */
    public interface Closer {
        void closeSession(int tsih);

        void closeConnection(int tsih, int cid);
    }

    /** TSIH is 16 bits and 0 is reserved (RFC 7143 11.12.6). */
    static final int TSIH_MAX = 0xffff;

    private final int sessionsMax;
    private final Closer closer;
    private final Map<Integer, Entry> byTsih = new HashMap<>();
    private final Map<SessionKey, Integer> tsihByKey = new HashMap<>();
    private int nextTsih = 1;

    private static final class Entry {
        final SessionKey key;
        final Set<Integer> cids = new LinkedHashSet<>();

        Entry(SessionKey key) {
            this.key = key;
        }
    }

    /**
     * @param sessionsMax most sessions at once, 1..65535 (TSIH space)
     * @param closer closes replaced sessions and connections
     */
    public InMemorySessionRegistry(int sessionsMax, Closer closer) {
        if (sessionsMax < 1 || sessionsMax > TSIH_MAX) {
            throw new IllegalArgumentException("sessionsMax must be 1.." + TSIH_MAX + ": " + sessionsMax);
        }
        this.sessionsMax = sessionsMax;
        this.closer = Objects.requireNonNull(closer, "closer");
    }

    @Override
    public synchronized boolean sessionExists(SessionKey key, int tsih) {
        Entry e = byTsih.get(tsih);
        return e != null && e.key.equals(key);
    }

    @Override
    public synchronized Admission admitLeading(SessionKey key, int cid) {
        Integer old = tsihByKey.get(key);
        boolean reinstated = old != null;
        if (reinstated) {
            // RFC 7143 6.3.5: a leading login with TSIH 0 and the ISID of a live session
            // reinstates it: the old session is logged out implicitly.
            closer.closeSession(old);
            remove(old);
        }
        if (byTsih.size() >= sessionsMax) {
            return new Admission(Result.OUT_OF_RESOURCES, 0, reinstated);
        }
        int tsih = allocateTsih();
        Entry e = new Entry(key);
        e.cids.add(cid);
        byTsih.put(tsih, e);
        tsihByKey.put(key, tsih);
        assert byTsih.size() == tsihByKey.size() : "maps out of step";
        return new Admission(Result.ADMITTED, tsih, reinstated);
    }

    @Override
    public synchronized Admission admitConnection(SessionKey key, int tsih, int cid,
            int maxConnections) {
        Entry e = byTsih.get(tsih);
        if (e == null || !e.key.equals(key)) {
            return new Admission(Result.SESSION_DOES_NOT_EXIST, 0, false);
        }
        if (e.cids.contains(cid)) {
            closer.closeConnection(tsih, cid);
            return new Admission(Result.ADMITTED, tsih, true);
        }
        if (e.cids.size() >= maxConnections) {
            return new Admission(Result.TOO_MANY_CONNECTIONS, 0, false);
        }
        e.cids.add(cid);
        return new Admission(Result.ADMITTED, tsih, false);
    }

    /** A connection ended; the session goes when its last connection does. */
    public synchronized void release(int tsih, int cid) {
        Entry e = byTsih.get(tsih);
        if (e != null && e.cids.remove(cid) && e.cids.isEmpty()) {
            remove(tsih);
        }
    }

    /** Number of live sessions. */
    public synchronized int sessionCount() {
        return byTsih.size();
    }

    private void remove(int tsih) {
        Entry e = byTsih.remove(tsih);
        if (e != null) {
            tsihByKey.remove(e.key);
        }
    }

    /** Next free TSIH, round robin so a just-closed TSIH is not reused at once. */
    private int allocateTsih() {
        assert byTsih.size() < TSIH_MAX : "caller checked capacity";
        for (int tries = 0; tries < TSIH_MAX; tries++) {
            int tsih = nextTsih;
            nextTsih = nextTsih == TSIH_MAX ? 1 : nextTsih + 1;
            if (!byTsih.containsKey(tsih)) {
                return tsih;
            }
        }
        throw new IllegalStateException("no free TSIH although fewer than 65535 sessions exist");
    }
}
