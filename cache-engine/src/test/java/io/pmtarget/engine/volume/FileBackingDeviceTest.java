package io.pmtarget.engine.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBackingDeviceTest {

    @TempDir
    Path dir;

    @Test
    void createsSparseFileAndDiscardReadsBackZeros() throws Exception {
        Path f = dir.resolve("b.img");
        long size = 3L * FileBackingDevice.ZERO_CHUNK_BYTES;
        try (FileBackingDevice d = FileBackingDevice.open(f, size)) {
            assertEquals(size, d.sizeBytes());
            byte[] ones = new byte[8192];
            java.util.Arrays.fill(ones, (byte) 1);
            d.write(FileBackingDevice.ZERO_CHUNK_BYTES - 4096, ByteBuffer.wrap(ones));
            d.write(size - 8192, ByteBuffer.wrap(ones));
            d.discard(4096, size - 8192);
            d.force();
            ByteBuffer all = ByteBuffer.allocate((int) size);
            d.read(0, all);
            byte[] expected = new byte[(int) size];
            java.util.Arrays.fill(expected, (int) size - 4096, (int) size, (byte) 1);
            assertArrayEquals(expected, all.array());
        }
        assertEquals(size, Files.size(f));
    }

    @Test
    void missingFileWithoutSizeIsAnError() {
        IOException e = assertThrows(IOException.class, () -> FileBackingDevice.open(dir.resolve("none"), 0));
        assertEquals(true, e.getMessage().contains("does not exist"));
    }
}
