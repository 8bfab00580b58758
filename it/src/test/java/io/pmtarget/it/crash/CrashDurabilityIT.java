package io.pmtarget.it.crash;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.it.crash.CrashRunner.RoundResult;
import io.pmtarget.it.crash.CrashRunner.Trigger;
import io.pmtarget.it.support.PmtargetServer;
import io.pmtarget.it.support.TargetOptions;
import io.pmtarget.it.support.TargetUnderTest;
import io.pmtarget.it.support.Targets;
import io.pmtarget.it.support.TgtdTarget;
import io.pmtarget.it.support.VolumeTuning;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash durability end to end (issue 5): a real initiator (iscsi-crashload on libiscsi) writes
 * self-describing 4 KiB records with WRITE(10)/(16), some FUA, and SYNCHRONIZE CACHE(10)/(16) now
 * and then; the target is SIGKILLed at a seeded moment, restarted on the same files, and every
 * touched block is read back and judged by {@link CrashOracle}: acknowledged-durable writes
 * survive, nothing is torn, nothing is invented.
 *
 * <p>Three volume set-ups (our server's dm-writecache options; tgtd has no cache and runs the
 * same workloads as a check of the harness itself, where a kill cannot lose page-cache data):
 * <ul>
 *   <li>mixed: default cache, kill after 150..1000 ms;</li>
 *   <li>writeback: a 2 MiB cache with watermarks 20/5 % under a 4 MiB working set, killed
 *       while status shows blocks under writeback;</li>
 *   <li>cache-full: a 1 MiB cache, watermarks 100/95 %, writeback_jobs=1, killed while under 2 % of
 *       the cache is free (writes are waiting for writeback).</li>
 * </ul>
 * Seeds: {@code -Dit.crash.seed=N} repeats a run; every round prints its own seed. Round counts:
 * {@code -Dit.crash.rounds=N} for the mixed set-up (pmtarget default 40, tgtd 6); the state
 * set-ups run 6 rounds each on pmtarget (2 on tgtd, where no state can be observed).
 */
class CrashDurabilityIT {

    /** 64 MiB: every round's range fits, and /dev/shm stays small. */
    private static final long LUN_SIZE_BYTES = 64 * TargetOptions.MIB;
    /** 8 blocks of 512 bytes: 4 KiB records, like a file system's page writes. */
    private static final int BLOCKS_PER_WRITE = 8;
    /**
     * 1024 records = 4 MiB working set (LBA 0..8191): twice the writeback set-up's cache, four
     * times the cache-full one's; small enough that the read-back after each restart is quick.
     */
    private static final long SLOTS = 1024;
    private static final long BASE_LBA = 0;
    private static final int MIXED_ROUNDS_PMTARGET = 40;
    private static final int MIXED_ROUNDS_TGTD = 6;
    private static final int STATE_ROUNDS_PMTARGET = 6;
    private static final int STATE_ROUNDS_TGTD = 2;

    /** One volume set-up: name, tuning for our server, trigger, rounds. */
    record Setup(String name, VolumeTuning tuning, Trigger trigger, int rounds, int sessions) {
    }

    static Stream<Arguments> targets() {
        return Targets.enabled().stream().map(f -> Arguments.of(f.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void killedTargetKeepsEveryDurableWriteAndTearsNothing(String targetName) throws Exception {
        long masterSeed = Long.getLong("it.crash.seed", System.nanoTime());
        System.out.println("CrashDurabilityIT " + targetName + ": master seed " + masterSeed
                + " (repeat with -Dit.crash.seed=" + masterSeed + ")");
        SplittableRandom seeds = new SplittableRandom(masterSeed);
        boolean ours = targetName.equals("pmtarget");
        List<Setup> setups = setups(ours);
        Figures figures = new Figures(targetName, masterSeed);
        int round = 1;
        for (Setup setup : setups) {
            try (TargetUnderTest target = create(targetName, setup.tuning())) {
                target.start();
                CrashRunner runner = new CrashRunner(target, BASE_LBA, SLOTS, BLOCKS_PER_WRITE);
                for (int i = 0; i < setup.rounds(); i++, round++) {
                    long seed = seeds.nextLong();
                    RoundResult r = runner.round(round, seed, setup.trigger(), setup.sessions());
                    figures.add(setup, r);
                    System.out.println(figures.line(setup, r));
                    assertTrue(r.verdict().ok(), "round " + round + " (" + setup.name() + ", seed " + seed
                            + ", master seed " + masterSeed + ") against " + target + ": "
                            + r.verdict().violationCount() + " violations:\n  "
                            + String.join("\n  ", r.verdict().violations()) + "\nclient log: "
                            + target.workDir().resolve("crashload-" + round + ".out"));
                }
            }
        }
        figures.print();
        if (ours) {
            // The state rounds must really have killed in the state they are about.
            assertTrue(figures.triggerSeen(Trigger.WRITEBACK_ACTIVE) > 0,
                    "no writeback round was killed while status showed blocks under writeback");
            assertTrue(figures.triggerSeen(Trigger.CACHE_FULL) > 0,
                    "no cache-full round was killed while the cache was full");
        }
    }

    static List<Setup> setups(boolean ours) {
        int mixed = Integer.getInteger("it.crash.rounds", ours ? MIXED_ROUNDS_PMTARGET : MIXED_ROUNDS_TGTD);
        int state = ours ? STATE_ROUNDS_PMTARGET : STATE_ROUNDS_TGTD;
        List<Setup> list = new ArrayList<>();
        list.add(new Setup("mixed", VolumeTuning.defaults(), Trigger.TIME, mixed, 1));
        list.add(new Setup("writeback", VolumeTuning.defaults().withCacheSizeBytes(2 * TargetOptions.MIB)
                .withOption("high_watermark", "20").withOption("low_watermark", "5"),
                Trigger.WRITEBACK_ACTIVE, state, 1));
        // Writeback starts only when the cache is full and stops at 95 % used: the cache sits at
        // full and writes wait for writeback most of the time.
        list.add(new Setup("cache-full", VolumeTuning.defaults().withCacheSizeBytes(TargetOptions.MIB)
                .withOption("high_watermark", "100").withOption("low_watermark", "95")
                .withOption("writeback_jobs", "1"), Trigger.CACHE_FULL, state, 1));
        // Two sessions writing at once: two writer threads in the volume, so commits (autocommits left
        // pending while the other session's write is still copying, FUA and SYNCHRONIZE CACHE) interleave
        // with writes of another thread. Small autocommit batches make that happen often.
        list.add(new Setup("two-sessions", VolumeTuning.defaults().withOption("autocommit_blocks", "8"),
                Trigger.TIME, state, 2));
        return list;
    }

    private static TargetUnderTest create(String targetName, VolumeTuning tuning) {
        TargetOptions options = TargetOptions.defaults().withLunSizeBytes(LUN_SIZE_BYTES);
        return switch (targetName) {
            case "pmtarget" -> new PmtargetServer(options, tuning);
            case "tgtd" -> new TgtdTarget(options);
            default -> throw new IllegalArgumentException("unknown target " + targetName);
        };
    }

    /** Totals for the report (it/README-crash.md quotes them). */
    static final class Figures {
        private final String target;
        private final long masterSeed;
        private final long startNs = System.nanoTime();
        private long rounds;
        private long kills;
        private long blocksVerified;
        private long blocksDurable;
        private long writesAcked;
        private long syncsAcked;
        private long fuaAcked;
        private final long[] triggerSeen = new long[Trigger.values().length];

        Figures(String target, long masterSeed) {
            this.target = target;
            this.masterSeed = masterSeed;
        }

        void add(Setup setup, RoundResult r) {
            rounds++;
            kills++;
            blocksVerified += r.verdict().blocksChecked();
            blocksDurable += r.verdict().blocksDurable();
            writesAcked += r.ackedWrites();
            syncsAcked += r.syncsAcked();
            fuaAcked += r.fuaWritesAcked();
            if (r.triggerSeen()) {
                triggerSeen[r.trigger().ordinal()]++;
            }
        }

        long triggerSeen(Trigger t) {
            return triggerSeen[t.ordinal()];
        }

        String line(Setup setup, RoundResult r) {
            return String.format("crash %s round %d [%s] seed %d: kill (%s) at %d ms%s; acked %d writes"
                            + " (%d FUA), %d syncs; %d blocks checked, %d durable, %d newest-ack; state at kill: %s;"
                            + " restart %d ms, read %d ms; %s", target, r.round(), setup.name(), r.seed(), r.trigger(), r.killAtMs(),
                    r.trigger() == Trigger.TIME ? "" : (r.triggerSeen() ? " (state seen)" : " (state NOT seen)"),
                    r.ackedWrites(), r.fuaWritesAcked(), r.syncsAcked(),
                    r.verdict().blocksChecked(), r.verdict().blocksDurable(), r.verdict().blocksNewestAck(),
                    r.killState(), r.restartMs(), r.readMs(), r.verdict().ok() ? "OK" : "FAILED");
        }

        void print() throws IOException {
            double seconds = (System.nanoTime() - startNs) / 1e9;
            String summary = String.format("CrashDurabilityIT %s: master seed %d: %d rounds, %d kills (SIGKILL),"
                            + " %d blocks verified (%d with a durable write to keep), %d writes acked (%d FUA),"
                            + " %d SYNCHRONIZE CACHE acked; killed with writeback running %d, with cache full %d;"
                            + " %.1f s", target, masterSeed, rounds, kills, blocksVerified, blocksDurable,
                    writesAcked, fuaAcked, syncsAcked, triggerSeen(Trigger.WRITEBACK_ACTIVE),
                    triggerSeen(Trigger.CACHE_FULL), seconds);
            System.out.println(summary);
            Path file = Path.of(System.getProperty("it.workdir", "target/it-work")).resolve("crash-figures-"
                    + target + ".txt");
            Files.createDirectories(file.getParent());
            Files.writeString(file, summary + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
