package io.pmtarget.target.scsi;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeException;
import io.pmtarget.engine.volume.VolumeStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * In-memory {@link Volume} for unit tests, following the Volume contract (aligned offsets, range
 * checks as IllegalArgumentException), with fault injection and a record of what was asked of it.
 */
final class MemoryVolume implements Volume {

    /** One write call as the volume saw it. */
    record WriteCall(long offsetBytes, int lengthBytes, boolean fua) {
    }

    record DiscardCall(long offsetBytes, long lengthBytes) {
    }

    private final int blockBytes;
    private final byte[] data;
    private final List<WriteCall> writes = new ArrayList<>();
    private final List<DiscardCall> discards = new ArrayList<>();
    private int flushes;
    volatile boolean readOnly;
    /** Non-null: every read throws a VolumeException of this kind. */
    volatile VolumeException.Kind readFault;
    volatile VolumeException.Kind writeFault;
    volatile VolumeException.Kind flushFault;
    /** Runs (outside the volume lock) at the start of each read: widens race windows in tests. */
    volatile Runnable readHook;

    MemoryVolume(int blockBytes, long sizeBytes) {
        this.blockBytes = blockBytes;
        this.data = new byte[Math.toIntExact(sizeBytes)];
    }

    @Override
    public String name() {
        return "mem";
    }

    @Override
    public int blockSizeBytes() {
        return blockBytes;
    }

    @Override
    public long sizeBytes() {
        return data.length;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void check(long offsetBytes, long lengthBytes) {
        if (offsetBytes % blockBytes != 0 || lengthBytes % blockBytes != 0) {
            throw new IllegalArgumentException("unaligned " + offsetBytes + "+" + lengthBytes);
        }
        if (offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > data.length) {
            throw new IllegalArgumentException("out of range " + offsetBytes + "+" + lengthBytes);
        }
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        check(offsetBytes, dst.remaining());
        if (readFault != null) {
            throw new VolumeException(readFault, "injected read fault");
        }
        Runnable hook = readHook;
        if (hook != null) {
            hook.run();
        }
        synchronized (this) {
            dst.put(data, (int) offsetBytes, dst.remaining());
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        check(offsetBytes, src.remaining());
        if (readOnly) {
            throw new VolumeException(VolumeException.Kind.READ_ONLY, "read-only");
        }
        if (writeFault != null) {
            throw new VolumeException(writeFault, "injected write fault");
        }
        int n = src.remaining();
        synchronized (this) {
            writes.add(new WriteCall(offsetBytes, n, fua));
            src.get(data, (int) offsetBytes, n);
        }
    }

    /** When true, tryRead / tryWrite do the I/O (as a cache hit would); else they decline. */
    volatile boolean inlineCapable;
    /** When false, a FUA tryWrite declines (as when another commit is running). */
    volatile boolean inlineFua = true;
    int inlineReads;
    int inlineWrites;

    @Override
    public boolean tryRead(long offsetBytes, ByteBuffer dst) throws IOException {
        if (!inlineCapable) {
            return false;
        }
        read(offsetBytes, dst);
        synchronized (this) {
            inlineReads++;
        }
        return true;
    }

    @Override
    public boolean tryFlush() throws IOException {
        if (!inlineCapable) {
            return false;
        }
        flush();
        return true;
    }

    @Override
    public boolean tryWrite(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        if (!inlineCapable || fua && !inlineFua) {
            check(offsetBytes, src.remaining());
            return false;
        }
        write(offsetBytes, src, fua);
        synchronized (this) {
            inlineWrites++;
        }
        return true;
    }

    @Override
    public void flush() throws IOException {
        if (flushFault != null) {
            throw new VolumeException(flushFault, "injected flush fault");
        }
        synchronized (this) {
            flushes++;
        }
    }

    @Override
    public synchronized void discard(long offsetBytes, long lengthBytes) throws IOException {
        check(offsetBytes, lengthBytes);
        if (readOnly) {
            throw new VolumeException(VolumeException.Kind.READ_ONLY, "read-only");
        }
        discards.add(new DiscardCall(offsetBytes, lengthBytes));
        java.util.Arrays.fill(data, (int) offsetBytes, (int) (offsetBytes + lengthBytes), (byte) 0);
    }

    @Override
    public VolumeStatus status() {
        return new VolumeStatus("mem", null, readOnly, 0, 0, 0, "memory", Map.of());
    }

    @Override
    public void message(String message) {
    }

    @Override
    public void close(boolean drain) {
    }

    synchronized List<WriteCall> writes() {
        return new ArrayList<>(writes);
    }

    synchronized List<DiscardCall> discards() {
        return new ArrayList<>(discards);
    }

    synchronized int flushes() {
        return flushes;
    }

    synchronized byte[] bytes(long offsetBytes, int lengthBytes) {
        return java.util.Arrays.copyOfRange(data, (int) offsetBytes, (int) offsetBytes + lengthBytes);
    }

    synchronized void fill(long offsetBytes, int lengthBytes, byte value) {
        java.util.Arrays.fill(data, (int) offsetBytes, (int) offsetBytes + lengthBytes, value);
    }
}
