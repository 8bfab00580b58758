package io.pmtarget.it.crash;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.IscsiPatternTool;
import io.pmtarget.it.support.PmtargetServer;
import io.pmtarget.it.support.TargetUnderTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Crash rounds against one target over one LBA range: start the workload, SIGKILL the target at
 * a seeded moment (or when the volume reaches a wanted state), restart it on the same files, read
 * the range back and let the {@link CrashOracle} judge it. Rounds run on the LUN the previous
 * round left, so earlier rounds' data is the "content before the round" of the next.
 */
final class CrashRunner {

    /** When to kill. TIME: after a seeded delay; the others: once status shows the state (pmtarget). */
    enum Trigger { TIME, WRITEBACK_ACTIVE, CACHE_FULL }

    /** What one round did and found. */
    /** {@code killAtMs}: when the kill was sent, in ms after the workload logged in. */
    record RoundResult(int round, long seed, Trigger trigger, boolean triggerSeen, long killAtMs,
                       List<WriteLog> logs, CrashOracle.Verdict verdict, String killState, long restartMs,
                       long readMs) {
        long ackedWrites() {
            return logs.stream().mapToLong(WriteLog::ackedWrites).sum();
        }

        long fuaWritesAcked() {
            return logs.stream().mapToLong(WriteLog::fuaWritesAcked).sum();
        }

        long syncsAcked() {
            return logs.stream().mapToLong(WriteLog::syncsAcked).sum();
        }
    }

    static final String INITIATOR = "iqn.2026-11.io.pmtarget.it:crash";
    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLIENT_EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(120);
    /** Writing lasts a few hundred ms to ~2 s per round (the bound). */
    private static final long KILL_DELAY_MIN_MS = 150;
    private static final long KILL_DELAY_MAX_MS = 1000;
    /** A state trigger waits at most this long before killing anyway (recorded as not seen). */
    private static final long TRIGGER_WAIT_MAX_MS = 3000;
    private static final long POLL_INTERVAL_MS = 3;
    /** The tool keeps writing well past any kill moment, so the kill always lands mid-workload. */
    private static final long CLIENT_RUN_EXTRA_MS = 15_000;
    private static final int[] SYNC_ONE_IN = {4, 16, 64, 256};
    private static final int[] FUA_PERCENT = {0, 3, 25};

    private final TargetUnderTest target;
    private final long baseLba;
    private final long slots;
    private final int blocksPerWrite;
    private final CrashOracle oracle = new CrashOracle();

    CrashRunner(TargetUnderTest target, long baseLba, long slots, int blocksPerWrite) {
        this.target = target;
        this.baseLba = baseLba;
        this.slots = slots;
        this.blocksPerWrite = blocksPerWrite;
    }

    RoundResult round(int round, long seed, Trigger trigger) throws Exception {
        return round(round, seed, trigger, 1);
    }

    /**
     * One round with {@code sessions} workloads at once, each its own iSCSI session (own initiator name)
     * over its own equal share of the slots, so the target's writes for them run on several threads and
     * commits interleave with writes of other sessions. Each share is judged against its own log.
     */
    RoundResult round(int round, long seed, Trigger trigger, int sessions) throws Exception {
        if (sessions < 1 || slots % sessions != 0) {
            throw new IllegalArgumentException(sessions + " sessions over " + slots + " slots");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        long killAfterMs = rnd.nextLong(KILL_DELAY_MIN_MS, KILL_DELAY_MAX_MS + 1);
        int syncOneIn = SYNC_ONE_IN[rnd.nextInt(SYNC_ONE_IN.length)];
        int fuaPercent = FUA_PERCENT[rnd.nextInt(FUA_PERCENT.length)];
        long slotsEach = slots / sessions;
        List<CrashLoad> loads = new ArrayList<>();
        boolean triggerSeen;
        String killState;
        long killAtMs;
        List<WriteLog> logs = new ArrayList<>();
        try {
            for (int i = 0; i < sessions; i++) {
                CrashLoad.Params p = new CrashLoad.Params(round, rnd.nextLong() | 1, shareBaseLba(i, slotsEach),
                        slotsEach, blocksPerWrite, syncOneIn, fuaPercent,
                        Math.max(killAfterMs, TRIGGER_WAIT_MAX_MS) + CLIENT_RUN_EXTRA_MS, Long.MAX_VALUE);
                String suffix = sessions == 1 ? "" : "-s" + i;
                Path stderr = target.workDir().resolve("crashload-" + round + suffix + ".err");
                loads.add(CrashLoad.start(target.url(), sessions == 1 ? INITIATOR : INITIATOR + "-s" + i, p,
                        stderr));
            }
            for (CrashLoad load : loads) {
                if (!load.awaitStart(LOGIN_TIMEOUT)) {
                    throw new AssertionError("round " + round + ": iscsi-crashload did not log in to " + target
                            + ": " + load.tail());
                }
            }
            long startNs = System.nanoTime();
            AdminStatus seen = awaitTrigger(trigger, killAfterMs, startNs, loads.get(0));
            triggerSeen = trigger == Trigger.TIME || seen != null;
            killState = describe(seen != null ? seen : statusOrNull());
            for (CrashLoad load : loads) {
                if (!load.alive()) {
                    throw new AssertionError("round " + round + ": a workload ended before the kill: " + load.tail());
                }
            }
            killAtMs = (System.nanoTime() - startNs) / 1_000_000;
            target.kill();
            for (int i = 0; i < sessions; i++) {
                CrashLoad load = loads.get(i);
                load.awaitExit(CLIENT_EXIT_TIMEOUT);
                logs.add(WriteLog.parse(load.snapshot()));
                String suffix = sessions == 1 ? "" : "-s" + i;
                Files.write(target.workDir().resolve("crashload-" + round + suffix + ".out"), load.snapshot());
            }
        } finally {
            for (CrashLoad load : loads) {
                load.close();
            }
        }
        long restartNs = System.nanoTime();
        target.start();
        long readNs = System.nanoTime();
        int blockBytes = logs.get(0).blockBytes();
        byte[] image = readBack(round, blockBytes);
        long doneNs = System.nanoTime();
        CrashOracle.Verdict verdict = null;
        int shareBytes = (int) (slotsEach * blocksPerWrite * blockBytes);
        for (int i = 0; i < sessions; i++) {
            byte[] share = java.util.Arrays.copyOfRange(image, i * shareBytes, (i + 1) * shareBytes);
            CrashOracle.Verdict v = oracle.check(round, logs.get(i), share, shareBaseLba(i, slotsEach), blockBytes);
            verdict = verdict == null ? v : verdict.plus(v);
        }
        return new RoundResult(round, seed, trigger, triggerSeen, killAtMs, logs, verdict, killState,
                (readNs - restartNs) / 1_000_000, (doneNs - readNs) / 1_000_000);
    }

    /** First LBA of share {@code i} when the slots are split into shares of {@code slotsEach}. */
    private long shareBaseLba(int i, long slotsEach) {
        return baseLba + i * slotsEach * blocksPerWrite;
    }

    /**
     * Waits for the kill moment. State triggers (pmtarget only) poll status and return the status
     * that showed the state, so the kill follows it by one poll at most; null if it never showed.
     */
    private AdminStatus awaitTrigger(Trigger trigger, long killAfterMs, long startNs, CrashLoad load)
            throws InterruptedException {
        if (trigger == Trigger.TIME || !(target instanceof PmtargetServer)) {
            Thread.sleep(killAfterMs);
            return null;
        }
        long minNs = startNs + Duration.ofMillis(KILL_DELAY_MIN_MS).toNanos();
        long deadlineNs = startNs + Duration.ofMillis(TRIGGER_WAIT_MAX_MS).toNanos();
        while (System.nanoTime() < deadlineNs && load.alive()) {
            if (System.nanoTime() >= minNs) {
                AdminStatus s = statusOrNull();
                if (s != null && stateReached(trigger, s)) {
                    return s;
                }
            }
            Thread.sleep(POLL_INTERVAL_MS);
        }
        return null;
    }

    private static boolean stateReached(Trigger trigger, AdminStatus s) {
        return switch (trigger) {
            case WRITEBACK_ACTIVE -> s.blocksWriteback() > 0;
            // "Full": under 2 % free, so writes are waiting for writeback (or about to).
            case CACHE_FULL -> s.blocksFree() * 50 <= s.blocksTotal();
            case TIME -> true;
        };
    }

    private AdminStatus statusOrNull() {
        if (!(target instanceof PmtargetServer server)) {
            return null;
        }
        try {
            return AdminStatus.fetch(server.adminSocket());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String describe(AdminStatus s) {
        return s == null ? "-" : "free " + s.blocksFree() + "/" + s.blocksTotal() + " writeback "
                + s.blocksWriteback() + " full_waits " + s.counter("full_cache_waits");
    }

    private byte[] readBack(int round, int blockBytes) throws IOException {
        long blocks = slots * blocksPerWrite;
        Path into = target.workDir().resolve("readback.img");
        Exec.Result r = IscsiPatternTool.read(target.url(), INITIATOR, false, baseLba, blocks, into, READ_TIMEOUT);
        if (!r.ok()) {
            throw new AssertionError("round " + round + ": reading back after restart failed: " + r.describe());
        }
        byte[] image = Files.readAllBytes(into);
        if (image.length != blocks * blockBytes) {
            throw new AssertionError("round " + round + ": read back " + image.length + " bytes, expected "
                    + blocks * blockBytes);
        }
        return image;
    }
}
