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
    record RoundResult(int round, long seed, Trigger trigger, boolean triggerSeen, long killAfterMs,
                       WriteLog log, CrashOracle.Verdict verdict, String killState) {
    }

    static final String INITIATOR = "iqn.2026-11.io.pmtarget.it:crash";
    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CLIENT_EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(120);
    /** Writing lasts a few hundred ms to ~2 s per round (the bound). */
    private static final long KILL_DELAY_MIN_MS = 150;
    private static final long KILL_DELAY_MAX_MS = 1800;
    /** A state trigger waits at most this long before killing anyway (recorded as not seen). */
    private static final long TRIGGER_WAIT_MAX_MS = 4000;
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
        WriteLog log;
        try (CrashLoad load = CrashLoad.start(target.url(), INITIATOR, p, stderr)) {
            if (!load.awaitStart(LOGIN_TIMEOUT)) {
                throw new AssertionError("round " + round + ": iscsi-crashload did not log in to " + target
                        + ": " + load.tail());
            }
            long startNs = System.nanoTime();
            triggerSeen = awaitTrigger(trigger, killAfterMs, startNs, load);
            killState = stateAtKill();
            if (!load.alive()) {
                throw new AssertionError("round " + round + ": the workload ended before the kill: " + load.tail());
            }
            target.kill();
            load.awaitExit(CLIENT_EXIT_TIMEOUT);
            log = WriteLog.parse(load.snapshot());
            Files.write(target.workDir().resolve("crashload-" + round + ".out"), load.snapshot());
        }
        target.start();
        byte[] image = readBack(round, log.blockBytes());
        CrashOracle.Verdict verdict = oracle.check(round, log, image, baseLba, log.blockBytes());
        return new RoundResult(round, seed, trigger, triggerSeen, killAfterMs, log, verdict, killState);
    }

    /** Waits for the kill moment; true if a state trigger's state was seen (TIME: always true). */
    private boolean awaitTrigger(Trigger trigger, long killAfterMs, long startNs, CrashLoad load)
            throws InterruptedException {
        if (trigger == Trigger.TIME || !(target instanceof PmtargetServer server)) {
            Thread.sleep(killAfterMs);
            return trigger == Trigger.TIME;
        }
        long minNs = startNs + Duration.ofMillis(KILL_DELAY_MIN_MS).toNanos();
        long deadlineNs = startNs + Duration.ofMillis(TRIGGER_WAIT_MAX_MS).toNanos();
        while (System.nanoTime() < deadlineNs && load.alive()) {
            if (System.nanoTime() >= minNs && stateReached(trigger, server)) {
                return true;
            }
            Thread.sleep(POLL_INTERVAL_MS);
        }
        return false;
    }

    private static boolean stateReached(Trigger trigger, PmtargetServer server) {
        try {
            AdminStatus s = AdminStatus.fetch(server.adminSocket());
            return switch (trigger) {
                case WRITEBACK_ACTIVE -> s.blocksWriteback() > 0;
                // "Full": under 2 % free, so writes are waiting for writeback (or about to).
                case CACHE_FULL -> s.blocksFree() * 50 <= s.blocksTotal();
                case TIME -> true;
            };
        } catch (IOException e) {
            return false;
        }
    }

    /** One status line taken just before the kill (pmtarget), for the round's log line. */
    private String stateAtKill() {
        if (!(target instanceof PmtargetServer server)) {
            return "-";
        }
        try {
            AdminStatus s = AdminStatus.fetch(server.adminSocket());
            return "free " + s.blocksFree() + "/" + s.blocksTotal() + " writeback " + s.blocksWriteback()
                    + " full_waits " + s.counter("full_cache_waits");
        } catch (IOException | RuntimeException e) {
            return "status unavailable: " + e.getMessage();
        }
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
