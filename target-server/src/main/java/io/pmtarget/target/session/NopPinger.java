package io.pmtarget.target.session;

import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Target-initiated NOP-In pings (RFC 7143 section 11.19): after {@code nopInIntervalMs} without
 * any PDU from the initiator we send a NOP-In with a fresh Target Transfer Tag; if no NOP-Out
 * echoing that tag arrives within {@code nopInTimeoutMs}, the connection is considered dead and
 * closed. Times come from the event loop's ticker (so tests can advance it).
 */
final class NopPinger {
    private static final Logger LOG = LoggerFactory.getLogger(NopPinger.class);

    private final SessionState state;
    private long lastReceivedNanos;
    private boolean pingOutstanding;
    private int pingTtt;
    private long pingSentNanos;
    private ScheduledFuture<?> timer;

    NopPinger(SessionState state) {
        this.state = state;
    }

    private long nowNanos() {
        return state.ctx.executor().ticker().nanoTime();
    }

    void start() {
        lastReceivedNanos = nowNanos();
        if (state.limits.nopInIntervalMs() > 0) {
            schedule(TimeUnit.MILLISECONDS.toNanos(state.limits.nopInIntervalMs()));
        }
    }

    void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    void received() {
        if (state.ctx != null) {
            lastReceivedNanos = nowNanos();
        }
    }

    void answered(int ttt) {
        if (pingOutstanding && ttt == pingTtt) {
            pingOutstanding = false;
        }
    }

    private void schedule(long delayNanos) {
        timer = state.ctx.executor().schedule(this::check, Math.max(delayNanos, 1), TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (state.closed || state.loggedOut) {
            return;
        }
        long now = nowNanos();
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(state.limits.nopInIntervalMs());
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(state.limits.nopInTimeoutMs());
        if (pingOutstanding) {
            long waitedNanos = now - pingSentNanos;
            if (waitedNanos >= timeoutNanos) {
                LOG.warn("no NOP-Out answer to ping TTT 0x{} within {} ms: closing {}",
                        Integer.toHexString(pingTtt), state.limits.nopInTimeoutMs(), state.ctx.channel());
                state.ctx.close();
                return;
            }
            schedule(timeoutNanos - waitedNanos);
            return;
        }
        long idleNanos = now - lastReceivedNanos;
        if (idleNanos < intervalNanos) {
            schedule(intervalNanos - idleNanos);
            return;
        }
        pingOutstanding = true;
        pingTtt = state.newTtt();
        pingSentNanos = now;
        // ITT 0xffffffff: a ping, not a response; StatSN is not advanced (section 11.19).
        state.write(state.plainPdu(Opcode.NOP_IN).finalFlag(true).itt(Pdu.RESERVED_TAG).ttt(pingTtt)
                .lunField(Lun.encode(0)));
        state.flush();
        schedule(timeoutNanos);
    }
}
