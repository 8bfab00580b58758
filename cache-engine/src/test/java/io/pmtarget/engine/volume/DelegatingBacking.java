package io.pmtarget.engine.volume;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A backing device that forwards every call to {@code inner}; tests override the calls they slow or count. */
class DelegatingBacking implements BackingDevice {

    final BackingDevice inner;

    DelegatingBacking(BackingDevice inner) {
        this.inner = inner;
    }

    @Override
    public long sizeBytes() {
        return inner.sizeBytes();
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        inner.read(offsetBytes, dst);
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src) throws IOException {
        inner.write(offsetBytes, src);
    }

    @Override
    public void force() throws IOException {
        inner.force();
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        inner.discard(offsetBytes, lengthBytes);
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
