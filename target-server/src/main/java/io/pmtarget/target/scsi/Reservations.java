package io.pmtarget.target.scsi;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Persistent reservation state of one LU (SPC-5 5.13), in memory only (APTPL is not supported:
 * REPORT CAPABILITIES says PTPL_C = 0). Registrations are per I_T nexus. All methods are
 * synchronized: PR commands are rare and the conflict check is a few field reads.
 */
final class Reservations {

    static final int TYPE_WRITE_EXCLUSIVE = 1;
    static final int TYPE_EXCLUSIVE_ACCESS = 3;
    static final int TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 5;
    static final int TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY = 6;
    static final int TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS = 7;
    static final int TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS = 8;
    /** Registrations per LU; more get INSUFFICIENT REGISTRATION RESOURCES (SPC-5 5.13.7). */
    static final int REGISTRATIONS_MAX = 256;

    /** Outcome of a PR OUT service action that is not GOOD or CHECK CONDITION. */
    static final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Conflict() {
            super("RESERVATION CONFLICT", null, false, false);
        }
    }

    private static final Conflict CONFLICT = new Conflict();

    private final Map<ItNexus, Long> keys = new LinkedHashMap<>();
    private int generation;
    /** 0 = no reservation. */
    private int type;
    /** The holder for types 1, 3, 5, 6; unused for all-registrants types (every registrant holds). */
    private ItNexus holder;
    /** Cheap unlocked pre-check for the I/O path: true while any reservation exists. */
    private volatile boolean reserved;
    /** RESERVE(6)/(10) holder (SPC-2 5.5.1), or null. */
    private ItNexus reserve6Holder;
    /**
     * Commands another nexus may still send while a RESERVE(6) is held (SPC-2 5.5.1 and SPC-3
     * 5.6.3): INQUIRY, REQUEST SENSE, REPORT LUNS, RELEASE(6/10), REPORT SUPPORTED OPERATION CODES.
     */
    private static final boolean[] ALLOWED_UNDER_RESERVE6 = new boolean[256];

    static {
        for (int opcode : new int[] {0x12, 0x03, 0xA0, 0x17, 0x57, 0xA3}) {
            ALLOWED_UNDER_RESERVE6[opcode] = true;
        }
    }

    static boolean validType(int type) {
        return type == 1 || type == 3 || (type >= 5 && type <= 8);
    }

    private static boolean allRegistrants(int type) {
        return type == TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS || type == TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    private static boolean registrantsAllowed(int type) {
        return type >= TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY;
    }

    private static boolean exclusiveAccess(int type) {
        return type == TYPE_EXCLUSIVE_ACCESS || type == TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY
                || type == TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    private boolean isHolder(ItNexus nexus) {
        return type != 0 && (allRegistrants(type) ? keys.containsKey(nexus) : nexus.equals(holder));
    }

    /** SPC-5 5.13.1 table 63 (and SPC-2 5.5.1 for RESERVE(6)): would this command conflict? */
    boolean conflicts(ItNexus nexus, int opcode, CommandTable.Access access) {
        if (!reserved) {
            return false;
        }
        synchronized (this) {
            if (reserve6Holder != null) {
                return !reserve6Holder.equals(nexus) && !ALLOWED_UNDER_RESERVE6[opcode & 0xFF];
            }
            if (access == CommandTable.Access.NONE) {
                return false;
            }
            if (type == 0 || nexus == null || isHolder(nexus)) {
                return false;
            }
            if (registrantsAllowed(type) && keys.containsKey(nexus)) {
                return false;
            }
            return access == CommandTable.Access.WRITE || exclusiveAccess(type);
        }
    }

    synchronized int generation() {
        return generation;
    }

    synchronized long[] registeredKeys() {
        return keys.values().stream().mapToLong(Long::longValue).toArray();
    }

    /** {type, key of the reservation (0 for all-registrants types)}, or null when not reserved. */
    synchronized long[] reservation() {
        if (type == 0) {
            return null;
        }
        long key = allRegistrants(type) ? 0 : keys.getOrDefault(holder, 0L);
        return new long[] {type, key};
    }

    /** REGISTER (ignoreExisting false) and REGISTER AND IGNORE EXISTING KEY, SPC-5 5.13.7. */
    synchronized void register(LogicalUnit lu, ItNexus nexus, long reservationKey, long newKey, boolean ignoreExisting) {
        Long current = keys.get(nexus);
        if (!ignoreExisting && (current == null ? reservationKey != 0 : current != reservationKey)) {
            throw CONFLICT;
        }
        if (newKey == 0) {
            if (current != null) {
                unregister(lu, nexus);
                generation++;
            }
            return;
        }
        if (current == null && keys.size() >= REGISTRATIONS_MAX) {
            throw ScsiException.of(SenseCode.INSUFFICIENT_REGISTRATION_RESOURCES);
        }
        keys.put(nexus, newKey);
        generation++;
    }

    private void unregister(LogicalUnit lu, ItNexus nexus) {
        keys.remove(nexus);
        if (type == 0) {
            return;
        }
        boolean lostReservation = allRegistrants(type) ? keys.isEmpty() : nexus.equals(holder);
        if (lostReservation) {
            // SPC-5 5.13.11.2.2: releasing a registrants-only reservation tells the other registrants.
            if (type == TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY || type == TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY) {
                notifyRegistrants(lu, SenseCode.RESERVATIONS_RELEASED, nexus);
            }
            clearReservation();
        }
    }

    private void checkRegistered(ItNexus nexus, long reservationKey) {
        Long current = keys.get(nexus);
        if (current == null || current != reservationKey) {
            throw CONFLICT;
        }
    }

    /** RESERVE, SPC-5 5.13.9. */
    synchronized void reserve(ItNexus nexus, long reservationKey, int newType) {
        checkRegistered(nexus, reservationKey);
        if (type != 0) {
            if (isHolder(nexus) && type == newType) {
                return;
            }
            throw CONFLICT;
        }
        type = newType;
        holder = nexus;
        reserved = true;
    }

    /** RELEASE, SPC-5 5.13.11.2. */
    synchronized void release(LogicalUnit lu, ItNexus nexus, long reservationKey, int releaseType) {
        checkRegistered(nexus, reservationKey);
        if (type == 0 || !isHolder(nexus)) {
            return;
        }
        if (releaseType != type) {
            throw ScsiException.of(SenseCode.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        }
        if (type != TYPE_WRITE_EXCLUSIVE && type != TYPE_EXCLUSIVE_ACCESS) {
            notifyRegistrants(lu, SenseCode.RESERVATIONS_RELEASED, nexus);
        }
        clearReservation();
    }

    /** CLEAR, SPC-5 5.13.11.3. */
    synchronized void clear(LogicalUnit lu, ItNexus nexus, long reservationKey) {
        checkRegistered(nexus, reservationKey);
        notifyRegistrants(lu, SenseCode.RESERVATIONS_PREEMPTED, nexus);
        keys.clear();
        clearReservation();
        generation++;
    }

    /** PREEMPT, SPC-5 5.13.11.4. */
    synchronized void preempt(LogicalUnit lu, ItNexus nexus, long reservationKey, long preemptKey, int newType) {
        checkRegistered(nexus, reservationKey);
        boolean takeReservation;
        if (type != 0 && allRegistrants(type)) {
            takeReservation = preemptKey == 0;
            if (takeReservation) {
                removeRegistrations(lu, nexus, k -> true);
            } else if (removeRegistrations(lu, nexus, k -> k == preemptKey) == 0) {
                throw CONFLICT;
            }
        } else {
            if (preemptKey == 0) {
                throw ScsiException.param(8, ScsiException.NONE);
            }
            takeReservation = type != 0 && keys.get(holder) == preemptKey;
            int removed = removeRegistrations(lu, nexus, k -> k == preemptKey);
            if (removed == 0 && !(takeReservation && holder.equals(nexus))) {
                throw CONFLICT;
            }
        }
        if (takeReservation) {
            type = newType;
            holder = nexus;
            reserved = true;
        }
        generation++;
    }

    /** Removes other nexuses' registrations whose key matches (SPC-5: never the preempting one's own). */
    private int removeRegistrations(LogicalUnit lu, ItNexus except, java.util.function.LongPredicate match) {
        int removed = 0;
        var it = keys.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<ItNexus, Long> e = it.next();
            if (!e.getKey().equals(except) && match.test(e.getValue())) {
                it.remove();
                removed++;
                lu.raiseUnitAttentionFor(SenseCode.REGISTRATIONS_PREEMPTED, e.getKey());
            }
        }
        return removed;
    }

    private void notifyRegistrants(LogicalUnit lu, SenseCode code, ItNexus except) {
        for (ItNexus n : keys.keySet()) {
            if (!n.equals(except)) {
                lu.raiseUnitAttentionFor(code, n);
            }
        }
    }

    /** RESERVE(6)/(10): conflicts with persistent registrations and with another holder (SPC-3 5.6.3). */
    synchronized void reserve6(ItNexus nexus) {
        if (!keys.isEmpty() || type != 0 || (reserve6Holder != null && !reserve6Holder.equals(nexus))) {
            throw CONFLICT;
        }
        reserve6Holder = nexus;
        reserved = true;
    }

    /** RELEASE(6)/(10): releases only the caller's own reservation; otherwise a no-op GOOD. */
    synchronized void release6(ItNexus nexus) {
        if (reserve6Holder != null && reserve6Holder.equals(nexus)) {
            reserve6Holder = null;
            reserved = type != 0;
        }
    }

    /** LUN reset / target reset: RESERVE(6) reservations end, persistent ones stay (SPC-5 5.13.2). */
    synchronized void reset() {
        reserve6Holder = null;
        reserved = type != 0;
    }

    private void clearReservation() {
        type = 0;
        holder = null;
        reserved = reserve6Holder != null;
    }
}
