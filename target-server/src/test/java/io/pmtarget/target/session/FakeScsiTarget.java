package io.pmtarget.target.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.ScsiRequest;
import io.pmtarget.target.scsi.ScsiResponse;
import io.pmtarget.target.scsi.ScsiTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/** A ScsiTarget for tests: records requests (data-out copied), answers inline or holds completions. */
final class FakeScsiTarget implements ScsiTarget {
    record Executed(long lun, byte[] cdb, int edtlBytes, byte[] dataOut) {
    }

    record Held(ScsiRequest request, Consumer<ScsiResponse> done) {
    }

    final List<Executed> executed = new ArrayList<>();
    final List<Held> held = new ArrayList<>();
    final List<String> resets = new ArrayList<>();
    int maxDataOutBytes = 1 << 20;
    /** When null, completions are held in {@link #held} for the test to complete. */
    Function<ScsiRequest, ScsiResponse> answer = r -> new ScsiResponse(0, null, null);

    @Override
    public int maxDataOutBytes() {
        return maxDataOutBytes;
    }

    @Override
    public void execute(ScsiRequest request, Consumer<ScsiResponse> done) {
        ByteBuf data = request.dataOut();
        executed.add(new Executed(request.lun(), request.cdb(), request.expectedDataTransferLengthBytes(),
                data == null ? null : ByteBufUtil.getBytes(data)));
        if (answer == null) {
            held.add(new Held(request, done));
            return;
        }
        if (data != null) {
            data.release();
        }
        done.accept(answer.apply(request));
    }

    /** Completes a held command (releasing its data-out as a logical unit would). */
    void complete(int index, ScsiResponse response) {
        Held h = held.get(index);
        if (h.request().dataOut() != null) {
            h.request().dataOut().release();
        }
        h.done().accept(response);
    }

    @Override
    public void reset(long lun, ItNexus nexus, boolean wholeTarget) {
        resets.add(lun + (wholeTarget ? ":target" : ":lun"));
    }
}
