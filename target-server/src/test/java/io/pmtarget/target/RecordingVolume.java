package io.pmtarget.target;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/** Delegates to a FakeVolume and records when it is closed, to check the stop order. */
final class RecordingVolume implements Volume {

    private final FakeVolume delegate;
    private final List<String> closeOrder;

    RecordingVolume(FakeVolume delegate, List<String> closeOrder) {
        this.delegate = delegate;
        this.closeOrder = closeOrder;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public int blockSizeBytes() {
        return delegate.blockSizeBytes();
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }

    @Override
    public boolean readOnly() {
        return delegate.readOnly();
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        delegate.read(offsetBytes, dst);
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src, boolean fua) throws IOException {
        delegate.write(offsetBytes, src, fua);
    }

    @Override
    public void flush() throws IOException {
        delegate.flush();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        delegate.discard(offsetBytes, lengthBytes);
    }

    @Override
    public VolumeStatus status() {
        return delegate.status();
    }

    @Override
    public void message(String message) throws IOException {
        delegate.message(message);
    }

    @Override
    public void close(boolean drain) {
        closeOrder.add("volume:" + delegate.name());
        delegate.close(drain);
    }
}
