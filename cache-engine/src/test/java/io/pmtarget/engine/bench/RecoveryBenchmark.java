package io.pmtarget.engine.bench;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.pmem.PmemDevices;
import io.pmtarget.engine.volume.CacheLayout;
import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeSpec;
import io.pmtarget.engine.volume.Volumes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Opening a volume whose cache holds 1M committed entries (512-byte blocks, ~530 MiB tmpfs file): mapping,
 * superblock checks, the entry scan, the seq sort and the index rebuild. The entries' seqs are shuffled so
 * the sort does real work; the volume opens with writeback idle (high_watermark 100) and is closed without
 * committing anything new, so every iteration recovers the same image.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RecoveryBenchmark {

    static final int ENTRIES = 1 << 20;
    static final int BLOCK_BYTES = 512;

    private Path cache;
    private Path backing;
    private VolumeSpec spec;

    @Setup(Level.Trial)
    public void build() throws Exception {
        String tag = "pmtarget-rbench-" + ProcessHandle.current().pid();
        cache = Path.of("/dev/shm", tag + ".cache");
        backing = Path.of("/dev/shm", tag + ".img");
        Files.deleteIfExists(cache);
        Files.deleteIfExists(backing);
        long size = (new CacheLayout(BLOCK_BYTES, ENTRIES).requiredBytes() + 4095) / 4096 * 4096;
        try (PmemDevice d = PmemDevices.open(cache, size, "auto")) {
            CacheLayout layout = CacheLayout.format(d, BLOCK_BYTES);
            Random rnd = new Random(7);
            long seqMax = 4L * ENTRIES;
            for (int e = 0; e < layout.nBlocks(); e++) {
                d.writeLong(CacheLayout.entryOffset(e), e);
                d.writeLong(CacheLayout.entryOffset(e) + 8, (long) rnd.nextInt((int) seqMax));
            }
            d.writeLong(CacheLayout.SB_SEQ_COUNT_OFFSET, seqMax + 1);
            d.flush(0, layout.dataStartBytes());
            d.drain();
        }
        spec = new VolumeSpec("rbench", cache, 0, backing, 2L * ENTRIES * BLOCK_BYTES, BLOCK_BYTES, "auto",
                Map.of("high_watermark", "100", "low_watermark", "100"));
    }

    @TearDown(Level.Trial)
    public void remove() throws Exception {
        Files.deleteIfExists(cache);
        Files.deleteIfExists(backing);
    }

    @Benchmark
    public long openAndRecover1M() throws Exception {
        try (Volume v = Volumes.open(spec)) {
            return v.status().blocksFree();
        }
    }
}
