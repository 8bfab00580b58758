package io.pmtarget.engine.bench;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeSpec;
import io.pmtarget.engine.volume.Volumes;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Volume I/O paths on a tmpfs cache file (no real pmem here): 4 KiB cached write, FUA write, read hit,
 * and the same write from one and from two threads. Writes rotate over {@link #SPAN_BLOCKS} blocks, under
 * the high watermark, so writeback stays idle and every write after the first round supersedes a committed
 * block (new entry, older one freed at the next commit) as in steady-state use.
 * Run: {@code bench/engine-jmh.sh VolumeBenchmark}; not run by {@code mvn verify}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VolumeBenchmark {

    static final int BLOCK_BYTES = 4096;
    /** 64 MiB cache: 16 000 blocks; the span is 4096 blocks = 25 %, below the 50 % high watermark. */
    static final long CACHE_BYTES = 64L << 20;
    static final int SPAN_BLOCKS = 4096;

    @Param({"auto"})
    public String persistence;

    @Param({"/dev/shm"})
    public String dir;

    /** autocommit_blocks; {@code -p autocommit=1000000} takes commits out (writes then hit in place). */
    @Param({"64"})
    public String autocommit;

    private Volume volume;
    private Path cache;
    private Path backing;
    private final AtomicInteger threadIds = new AtomicInteger();

    /** Per-thread buffers and block cursor; each thread writes its own half of the span. */
    @State(Scope.Thread)
    public static class Cursor {
        ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_BYTES);
        int base;
        int next;

        @Setup(Level.Trial)
        public void setUp(VolumeBenchmark bench) {
            base = (bench.threadIds.getAndIncrement() % 2) * SPAN_BLOCKS / 2;
        }

        long nextOffset() {
            next = (next + 1) % (SPAN_BLOCKS / 2);
            return (long) (base + next) * BLOCK_BYTES;
        }
    }

    @Setup(Level.Trial)
    public void open() throws Exception {
        String tag = "pmtarget-vbench-" + ProcessHandle.current().pid();
        cache = Path.of(dir, tag + ".cache");
        backing = Path.of(dir, tag + ".img");
        Files.deleteIfExists(cache);
        Files.deleteIfExists(backing);
        volume = Volumes.open(new VolumeSpec("bench", cache, CACHE_BYTES, backing, 256L << 20, BLOCK_BYTES,
                persistence, Map.of("autocommit_blocks", autocommit)));
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK_BYTES);
        for (int i = 0; i < SPAN_BLOCKS; i++) {
            volume.write((long) i * BLOCK_BYTES, b.clear(), false);
        }
        volume.flush();
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        System.out.println("status: " + volume.status());
        volume.close();
        Files.deleteIfExists(cache);
        Files.deleteIfExists(backing);
    }

    @Benchmark
    public void write4k(Cursor c) throws Exception {
        volume.write(c.nextOffset(), c.block.clear(), false);
    }

    @Benchmark
    public void writeFua4k(Cursor c) throws Exception {
        volume.write(c.nextOffset(), c.block.clear(), true);
    }

    @Benchmark
    public void readHit4k(Cursor c) throws Exception {
        volume.read(c.nextOffset(), c.block.clear());
    }

    @Benchmark
    @Threads(2)
    public void write4kTwoThreads(Cursor c) throws Exception {
        volume.write(c.nextOffset(), c.block.clear(), false);
    }
}
