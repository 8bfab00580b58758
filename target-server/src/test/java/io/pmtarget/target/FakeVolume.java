package io.pmtarget.target;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeException;
import io.pmtarget.engine.volume.VolumeSpec;
import io.pmtarget.engine.volume.VolumeStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** An in-memory stand-in for a cache-engine volume: records messages and close calls. */
public final class FakeVolume implements Volume {

    private final VolumeSpec spec;
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final AtomicInteger closeCalls = new AtomicInteger();
    private volatile boolean closed;

    public FakeVolume(VolumeSpec spec) {
        this.spec = spec;
    }

    public VolumeSpec spec() {
        return spec;
    }

    public List<String> messages() {
        return List.copyOf(messages);
    }

    public int closeCalls() {
        return closeCalls.get();
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public int blockSizeBytes() {
        return spec.blockSizeBytes();
    }

    @Override
    public long sizeBytes() {
        return spec.backingSizeBytes();
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        throw new UnsupportedOperationException("fake volume holds no data");
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        throw new UnsupportedOperationException("fake volume holds no data");
    }

    @Override
    public void flush() throws IOException {
        checkOpen();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        checkOpen();
    }

    @Override
    public VolumeStatus status() {
        return new VolumeStatus(spec.name(), null, false, 1000, 900, 7, "fake-" + spec.persistence(),
                Map.of("messages", (long) messages.size(), "writes", 42L));
    }

    @Override
    public void message(String message) throws IOException {
        checkOpen();
        if (message.equals("fail")) {
            throw new VolumeException(VolumeException.Kind.CACHE_ERROR, "asked to fail");
        }
        messages.add(message);
    }

    @Override
    public void close(boolean drain) {
        closeCalls.incrementAndGet();
        closed = true;
    }

    public boolean closed() {
        return closed;
    }

    private void checkOpen() throws VolumeException {
        if (closed) {
            throw new VolumeException(VolumeException.Kind.CLOSED, spec.name() + " is closed");
        }
    }
}
