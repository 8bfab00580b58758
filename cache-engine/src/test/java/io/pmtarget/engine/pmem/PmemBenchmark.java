package io.pmtarget.engine.pmem;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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

/**
 * Cost of the durability primitives on a tmpfs file (no real pmem on these machines): what one cache write
 * (4 KiB data + drain) and one metadata commit (16-byte entry, or one 8-byte word) cost per mode.
 * Offsets rotate over {@link #SPAN_BYTES} so successive operations touch different cache lines, as the
 * cache does. Run with {@code bench/engine-jmh.sh PmemBenchmark}; not run by {@code mvn verify}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PmemBenchmark {

    static final int BLOCK_BYTES = 4096;
    static final int ENTRY_BYTES = 16;
    /** 4 MiB: larger than L2, so lines written by earlier iterations are not all still cached. */
    static final int SPAN_BYTES = 4 << 20;

    @Param({"native", "java"})
    public String persistence;

    @Param({"/dev/shm"})
    public String dir;

    private PmemDevice device;
    private Path file;
    private ByteBuffer directBlock;
    private ByteBuffer heapBlock;
    private long blockOffset;
    private long entryOffset;
    private long seq;

    @Setup(Level.Trial)
    public void open() throws Exception {
        file = Path.of(dir, "pmtarget-jmh-" + ProcessHandle.current().pid() + ".pmem");
        Files.deleteIfExists(file);
        device = PmemDevices.open(file, SPAN_BYTES, persistence);
        if (!device.mode().startsWith(persistence)) {
            throw new IllegalStateException("asked for " + persistence + ", got " + device.mode());
        }
        directBlock = ByteBuffer.allocateDirect(BLOCK_BYTES);
        heapBlock = ByteBuffer.allocate(BLOCK_BYTES);
        for (int i = 0; i < BLOCK_BYTES; i++) {
            directBlock.put(i, (byte) i);
            heapBlock.put(i, (byte) i);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        device.close();
        Files.deleteIfExists(file);
    }

    private long nextBlock() {
        long off = blockOffset;
        blockOffset = (off + BLOCK_BYTES) % SPAN_BYTES;
        return off;
    }

    private long nextEntry() {
        long off = entryOffset;
        entryOffset = (off + ENTRY_BYTES) % SPAN_BYTES;
        return off;
    }

    /** One cache data block from a direct buffer (the iSCSI receive path): NT copy, then drain. */
    @Benchmark
    public void writePersistent4kDirect() {
        device.writePersistent(nextBlock(), directBlock.clear());
        device.drain();
    }

    /** The same from a heap buffer: plain copy + cache-line flush, then drain. */
    @Benchmark
    public void writePersistent4kHeap() {
        device.writePersistent(nextBlock(), heapBlock.clear());
        device.drain();
    }

    /** One dm-writecache metadata entry (original_sector, seq_count) made durable. */
    @Benchmark
    public void entryPersist16() {
        long off = nextEntry();
        device.writeLong(off, off >>> 9);
        device.writeLong(off + 8, ++seq);
        device.flush(off, ENTRY_BYTES);
        device.drain();
    }

    /** One aligned 8-byte durable store (e.g. the superblock seq_count). */
    @Benchmark
    public void store8Persist() {
        device.persistLong(nextEntry(), ++seq);
    }
}
