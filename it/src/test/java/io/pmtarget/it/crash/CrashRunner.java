package io.pmtarget.it.crash;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.IscsiPatternTool;
import io.pmtarget.it.support.PmtargetServer;
import io.pmtarget.it.support.TargetUnderTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
                       WriteLog log, CrashOracle.Verdict verdict, String killState, long restartMs, long readMs) {
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
        SplittableRandom rnd = new SplittableRandom(seed);
        long killAfterMs = rnd.nextLong(KILL_DELAY_MIN_MS, KILL_DELAY_MAX_MS + 1);
        CrashLoad.Params p = new CrashLoad.Params(round, rnd.nextLong() | 1, baseLba, slots, blocksPerWrite,
                SYNC_ONE_IN[rnd.nextInt(SYNC_ONE_IN.length)], FUA_PERCENT[rnd.nextInt(FUA_PERCENT.length)],
                Math.max(killAfterMs, TRIGGER_WAIT_MAX_MS) + CLIENT_RUN_EXTRA_MS, Long.MAX_VALUE);
        Path stderr = target.workDir().resolve("crashload-" + round + ".err");
        boolean triggerSeen;
        String killState;
        long killAtMs;
        WriteLog log;
        try (CrashLoad load = CrashLoad.start(target.url(), INITIATOR, p, stderr)) {
            if (!load.awaitStart(LOGIN_TIMEOUT)) {
                throw new AssertionError("round " + round + ": iscsi-crashload did not log in to " + target
                        + ": " + load.tail());
            }
            long startNs = System.nanoTime();
            AdminStatus seen = awaitTrigger(trigger, killAfterMs, startNs, load);
            triggerSeen = trigger == Trigger.TIME || seen != null;
            killState = describe(seen != null ? seen : statusOrNull());
            if (!load.alive()) {
                throw new AssertionError("round " + round + ": the workload ended before the kill: " + load.tail());
            }
            killAtMs = (System.nanoTime() - startNs) / 1_000_000;
            target.kill();
            load.awaitExit(CLIENT_EXIT_TIMEOUT);
            log = WriteLog.parse(load.snapshot());
            Files.write(target.workDir().resolve("crashload-" + round + ".out"), load.snapshot());
        }
        long restartNs = System.nanoTime();
        target.start();
        long readNs = System.nanoTime();
        byte[] image = readBack(round, log.blockBytes());
        long doneNs = System.nanoTime();
        CrashOracle.Verdict verdict = oracle.check(round, log, image, baseLba, log.blockBytes());
        return new RoundResult(round, seed, trigger, triggerSeen, killAtMs, log, verdict, killState,
                (readNs - restartNs) / 1_000_000, (doneNs - readNs) / 1_000_000);
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
