package io.pmtarget.engine.pmem;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Child process of {@link KillNineTest}: writes a known pattern through every durable path, drains, prints
 * {@link #READY} and then waits (until stdin closes) to be killed with SIGKILL (no shutdown hook, no close, no unmap).
 */
public final class CrashChild {

    static final String READY = "DURABLE";
    static final int BLOCK_BYTES = 4097;
    static final long BLOCK_OFFSET = 4099;
    static final long WORD_OFFSET = 16384;
    static final long PERSIST_WORD_OFFSET = 16392;
    static final long WORD = 0x0DDBA11CAFEF00DL;

    private CrashChild() {
    }

    static byte[] block() {
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    public static void main(String[] args) throws java.io.IOException {
        PmemDevice d = PmemDevices.open(Path.of(args[0]), 0, args[1]);
        ByteBuffer direct = ByteBuffer.allocateDirect(BLOCK_BYTES);
        direct.put(block()).flip();
        d.writePersistent(BLOCK_OFFSET, direct);
        d.writeLong(WORD_OFFSET, WORD);
        d.flush(WORD_OFFSET, Long.BYTES);
        d.drain();
        d.persistLong(PERSIST_WORD_OFFSET, ~WORD);
        System.out.println(READY + " " + d.mode());
        System.out.flush();
        // Block until the parent kills us; if the parent dies first, its end of the pipe closes and we exit.
        while (System.in.read() >= 0) {
            // discard
        }
        System.exit(3);
    }
}
