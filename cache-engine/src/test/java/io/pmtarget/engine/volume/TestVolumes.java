package io.pmtarget.engine.volume;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Helpers to build volumes on simulated devices. */
final class TestVolumes {

    private TestVolumes() {
    }

    static VolumeSpec spec(int blockSize, Map<String, String> options) {
        return new VolumeSpec("t", Path.of("/nonexistent/cache"), 0, Path.of("/nonexistent/backing"), 0,
                blockSize, "java", options);
    }

    static Map<String, String> opts(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Cache device size holding exactly {@code blocks} blocks of {@code blockSize}. */
    static long cacheBytes(int blockSize, int blocks) {
        return new CacheLayout(blockSize, blocks).requiredBytes();
    }

    static Volume open(SimulatedPmemDevice pmem, MemBackingDevice backing, int blockSize, Map<String, String> options)
            throws IOException {
        return Volumes.open(spec(blockSize, options), pmem, backing, CommitFault.NONE);
    }

    /** A block whose every 8-byte word holds {@code tag}. */
    static ByteBuffer block(int blockSize, long tag) {
        ByteBuffer b = ByteBuffer.allocate(blockSize);
        while (b.hasRemaining()) {
            b.putLong(tag);
        }
        return b.flip();
    }

    static long readTag(Volume v, long offsetBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.blockSizeBytes());
        v.read(offsetBytes, b);
        b.flip();
        long tag = b.getLong(0);
        for (int i = 0; i < b.limit(); i += 8) {
            if (b.getLong(i) != tag) {
                throw new AssertionError("torn block at " + offsetBytes + ": word " + i / 8 + " = " + b.getLong(i)
                        + ", word 0 = " + tag);
            }
        }
        return tag;
    }
}
