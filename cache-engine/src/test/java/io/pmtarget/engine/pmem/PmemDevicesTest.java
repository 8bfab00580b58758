package io.pmtarget.engine.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Factory behaviour: file creation, size rules, persistence names, mapping fallback. */
class PmemDevicesTest {

    @TempDir
    Path dir;

    @Test
    void createsMissingFileAtRequestedSize() throws IOException {
        Path f = dir.resolve("new.pmem");
        try (PmemDevice d = PmemDevices.open(f, 1 << 20, "java")) {
            assertEquals(1 << 20, d.sizeBytes());
            assertEquals("java-msync", d.mode());
        }
        assertEquals(1 << 20, Files.size(f));
    }

    @Test
    void sizeMustBeWholePagesAndIsNeverChanged() throws IOException {
        Path f = dir.resolve("odd.pmem");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(f, 12345, "java"));
        assertTrue(e.getMessage().contains("12345"), e.getMessage());
        assertFalse(Files.exists(f));
        Files.write(f, new byte[12345]);
        e = assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(f, 0, "java"));
        assertTrue(e.getMessage().contains("12345"), e.getMessage());
        assertEquals(12345, Files.size(f));
    }

    @Test
    void zeroSizeUsesExistingFileSize() throws IOException {
        Path f = dir.resolve("existing.pmem");
        Files.write(f, new byte[8192]);
        try (PmemDevice d = PmemDevices.open(f, 0, "java")) {
            assertEquals(8192, d.sizeBytes());
        }
    }

    @Test
    void zeroSizeWithMissingFileIsAnError() {
        Path f = dir.resolve("missing.pmem");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(f, 0, "java"));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(f));
    }

    @Test
    void sizeMismatchNamesBothSizes() throws IOException {
        Path f = dir.resolve("mismatch.pmem");
        Files.write(f, new byte[4096]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PmemDevices.open(f, 8192, "java"));
        assertTrue(e.getMessage().contains("4096") && e.getMessage().contains("8192"), e.getMessage());
        assertEquals(4096, Files.size(f), "a mismatched file must not be resized");
    }

    @Test
    void badArgumentsAreRejected() throws IOException {
        Path f = dir.resolve("bad.pmem");
        assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(f, -1, "java"));
        assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(f, 4096, "fast"));
        assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(f, 4096, null));
        Files.createDirectory(dir.resolve("adir"));
        assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(dir.resolve("adir"), 0, "java"));
        Files.write(dir.resolve("empty"), new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> PmemDevices.open(dir.resolve("empty"), 0, "java"));
    }

    @Test
    void autoPicksNativeOnRamFileSystemsExactlyWhenItLoads() throws IOException {
        Path f = Path.of("/dev/shm", "auto-" + ProcessHandle.current().pid() + ".pmem");
        Files.deleteIfExists(f);
        assertTrue(PmemDevices.onRamFileSystem(Path.of("/dev/shm")), "/dev/shm is tmpfs here");
        try (PmemDevice d = PmemDevices.open(f, 4096, "auto")) {
            if (NativeExpectation.nativeLoads()) {
                assertTrue(d.mode().startsWith("native-"), d.mode());
            } else {
                assertTrue(d.mode().startsWith("java-msync"), d.mode());
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** A page-cache file on a disk file system is durable only through msync: auto must not pick native. */
    @Test
    void autoPicksMsyncOnDiskFileSystemsWithoutDax() throws IOException {
        Path diskDir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "pmem-auto");
        Path f = diskDir.resolve("auto.pmem");
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(PmemDevices.onRamFileSystem(diskDir),
                    "java.io.tmpdir is a RAM file system on this machine");
            try (PmemDevice d = PmemDevices.open(f, 4096, "auto")) {
                assertEquals("java-msync", d.mode());
            }
        } finally {
            Files.deleteIfExists(f);
            Files.deleteIfExists(diskDir);
        }
    }

    @Test
    void nativeFailsClearlyOrOpensNative() {
        Path f = dir.resolve("native.pmem");
        if (NativeExpectation.nativeLoads()) {
            try (PmemDevice d = PmemDevices.open(f, 4096, "NATIVE")) {
                assertTrue(d.mode().matches("native-(clwb|clflushopt|clflush)"), d.mode());
            }
        } else {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> PmemDevices.open(f, 4096, "native"));
            assertTrue(e.getMessage().contains("did not load"), e.getMessage());
        }
    }

    /** tmpfs refuses MAP_SYNC (EOPNOTSUPP): the Chronicle mapping must take over and the mode must say so. */
    @Test
    void syncMappingFallsBackOnTmpfsAndTmp() throws IOException {
        for (Path parent : new Path[] {Path.of("/dev/shm"), dir}) {
            Path f = parent.resolve("sync-" + ProcessHandle.current().pid() + ".pmem");
            Files.deleteIfExists(f);
            try (PmemDevice d = PmemDevices.open(f, 65536, "auto")) {
                assertFalse(d.mode().contains("map_sync"), "tmpfs/tmp files are not DAX: " + d.mode());
                d.writePersistent(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
                d.drain();
                assertEquals(0x030201, d.readInt(0));
            } finally {
                Files.deleteIfExists(f);
            }
        }
    }

    /**
     * A device above 2 GiB: no synchronous-mapping attempt (MappedByteBuffer limit), one Chronicle mapping, and
     * java-msync flushes that straddle its 1 GiB msync windows. The file is sparse, so it costs no memory.
     */
    @Test
    void largerThanTwoGibWorksAcrossMsyncWindows() throws IOException {
        Path f = dir.resolve("big.pmem");
        long sizeBytes = 3 * PmemMapping.MSYNC_WINDOW_BYTES + 4096;
        byte[] data = new byte[8192];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i ^ 0x5A);
        }
        long straddle = PmemMapping.MSYNC_WINDOW_BYTES - 4096 - 3;
        try (PmemDevice d = PmemDevices.open(f, sizeBytes, "java")) {
            assertEquals(sizeBytes, d.sizeBytes());
            d.writePersistent(straddle, ByteBuffer.wrap(data));
            d.writeLong(sizeBytes - 8, -2L);
            d.flush(0, sizeBytes - 4096);
            d.flush(sizeBytes - 8, 8);
            d.drain();
        }
        try (PmemDevice d = PmemDevices.open(f, 0, "auto")) {
            byte[] back = new byte[data.length];
            d.read(straddle, ByteBuffer.wrap(back));
            org.junit.jupiter.api.Assertions.assertArrayEquals(data, back);
            assertEquals(-2L, d.readLong(sizeBytes - 8));
        }
    }

    /** The premise of the fallback: the kernel refuses MAP_SYNC on tmpfs, and trySyncMap turns that into null. */
    @Test
    void syncMapIsRefusedOnTmpfs() throws IOException {
        Path f = Path.of("/dev/shm", "syncmap-" + ProcessHandle.current().pid() + ".pmem");
        try {
            Files.write(f, new byte[4096]);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
                Exception e = assertThrows(Exception.class,
                        () -> ch.map(jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC, 0, 4096));
                assertTrue(e instanceof IOException || e instanceof UnsupportedOperationException, e.toString());
            }
            assertEquals(null, PmemMapping.trySyncMap(f, 4096));
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
