package io.pmtarget.it.crash;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What iscsi-crashload reported on stdout in one round, parsed: every write it was about to
 * send, which of them returned GOOD, which SYNCHRONIZE CACHE returned GOOD. Queue depth is one,
 * so acknowledgement order is sequence order and "acknowledged before the last acknowledged
 * SYNCHRONIZE CACHE" is simply {@code write.seq < lastAckedSyncSeq}.
 */
final class WriteLog {

    /** One write command. */
    record Write(long seq, long lba, int blocks, int cdb, boolean fua) {
    }

    private final Map<Long, Write> writes = new LinkedHashMap<>();
    private final List<Long> ackedWriteSeqs = new ArrayList<>();
    private final java.util.Set<Long> acked = new java.util.HashSet<>();
    private long lastAckedSyncSeq;
    private long syncsSent;
    private long syncsAcked;
    private int blockBytes;
    private boolean done;
    private String error;

    /** Parses all lines; a line the tool never prints is a harness bug and fails loudly. */
    static WriteLog parse(List<String> lines) {
        WriteLog log = new WriteLog();
        for (String line : lines) {
            log.accept(line);
        }
        return log;
    }

    private void accept(String line) {
        String[] f = line.trim().split(" ");
        switch (f[0]) {
            case "START" -> blockBytes = Integer.parseInt(f[1]);
            case "W" -> {
                Write w = new Write(Long.parseLong(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]), f[5].equals("1"));
                if (writes.putIfAbsent(w.seq(), w) != null) {
                    throw new IllegalStateException("seq " + w.seq() + " sent twice: " + line);
                }
            }
            case "S" -> syncsSent++;
            case "ACK" -> ack(f, line);
            case "ERR" -> error = line;
            case "DONE" -> done = true;
            default -> throw new IllegalStateException("iscsi-crashload printed an unknown line: '" + line + "'");
        }
    }

    private void ack(String[] f, String line) {
        long seq = Long.parseLong(f[2]);
        if (f[1].equals("W")) {
            if (!writes.containsKey(seq)) {
                throw new IllegalStateException("ACK of a write never sent: " + line);
            }
            acked.add(seq);
            ackedWriteSeqs.add(seq);
        } else if (f[1].equals("S")) {
            syncsAcked++;
            lastAckedSyncSeq = Math.max(lastAckedSyncSeq, seq);
        } else {
            throw new IllegalStateException("unknown ACK: " + line);
        }
    }

    Map<Long, Write> writes() {
        return Collections.unmodifiableMap(writes);
    }

    boolean acked(long seq) {
        return acked.contains(seq);
    }

    /** GOOD for this write means it survives a crash: FUA, or a later SYNCHRONIZE CACHE returned GOOD. */
    boolean durable(Write w) {
        return acked(w.seq()) && (w.fua() || w.seq() < lastAckedSyncSeq);
    }

    long ackedWrites() {
        return ackedWriteSeqs.size();
    }

    long lastAckedSyncSeq() {
        return lastAckedSyncSeq;
    }

    long syncsSent() {
        return syncsSent;
    }

    long syncsAcked() {
        return syncsAcked;
    }

    long fuaWritesAcked() {
        return writes.values().stream().filter(w -> w.fua() && acked(w.seq())).count();
    }

    int blockBytes() {
        return blockBytes;
    }

    boolean done() {
        return done;
    }

    /** The ERR line (the target went away under a command), or null. */
    String error() {
        return error;
    }
}
