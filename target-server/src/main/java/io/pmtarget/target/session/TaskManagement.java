package io.pmtarget.target.session;

import io.netty.channel.ChannelFutureListener;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.SerialNumbers;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task Management Function Requests (RFC 7143 sections 11.5 and 11.6). Aborted tasks get no SCSI
 * Response. A task already in the logical unit is allowed to finish; its response is dropped, and
 * the TMF Response waits until it has finished, so that after "function complete" no aborted
 * write can still change the medium (SAM-5 section 7.1: the TMF completes when the tasks are gone).
 */
final class TaskManagement {
    private static final Logger LOG = LoggerFactory.getLogger(TaskManagement.class);

    static final int ABORT_TASK = 1;
    static final int ABORT_TASK_SET = 2;
    static final int CLEAR_ACA = 3;
    static final int CLEAR_TASK_SET = 4;
    static final int LOGICAL_UNIT_RESET = 5;
    static final int TARGET_WARM_RESET = 6;
    static final int TARGET_COLD_RESET = 7;
    static final int TASK_REASSIGN = 8;

    /** TMF Response codes (section 11.6.1). */
    static final int FUNCTION_COMPLETE = 0;
    static final int TASK_DOES_NOT_EXIST = 1;
    static final int TASK_REASSIGNMENT_NOT_SUPPORTED = 4;
    static final int FUNCTION_NOT_SUPPORTED = 5;
    static final int FUNCTION_REJECTED = 255;

    /** A TMF Response waiting for aborted tasks still in the logical unit. */
    final class Pending {
        final int itt;
        final boolean closeAfter;
        int tasksRemaining;

        Pending(int itt, boolean closeAfter) {
            this.itt = itt;
            this.closeAfter = closeAfter;
        }

        void taskEnded() {
            assert tasksRemaining > 0;
            if (--tasksRemaining == 0) {
                respond(itt, FUNCTION_COMPLETE, closeAfter);
            }
        }
    }

    private final SessionState state;
    private final Responder responder;

    TaskManagement(SessionState state, Responder responder) {
        this.state = state;
        this.responder = responder;
    }

    /** A TMF Request the CmdSN window already accepted. */
    void onRequest(Pdu pdu) {
        int function = pdu.tmfFunction();
        long lun = Lun.decode(pdu.lunField());
        switch (function) {
            case ABORT_TASK -> abortTask(pdu);
            case ABORT_TASK_SET, CLEAR_TASK_SET -> abortAll(pdu.itt(), t -> t.lun == lun, false);
            case LOGICAL_UNIT_RESET -> {
                state.target.reset(lun, state.handover.nexus(), false);
                abortAll(pdu.itt(), t -> t.lun == lun, false);
            }
            case TARGET_WARM_RESET -> {
                state.target.reset(lun, state.handover.nexus(), true);
                abortAll(pdu.itt(), t -> true, false);
            }
            // Section 11.5.1: after a cold reset the target drops its connections.
            case TARGET_COLD_RESET -> {
                state.target.reset(lun, state.handover.nexus(), true);
                abortAll(pdu.itt(), t -> true, true);
            }
            case CLEAR_ACA -> respond(pdu.itt(), FUNCTION_NOT_SUPPORTED, false); // we never establish ACA
            case TASK_REASSIGN -> respond(pdu.itt(), TASK_REASSIGNMENT_NOT_SUPPORTED, false); // ERL 0
            default -> respond(pdu.itt(), FUNCTION_REJECTED, false);
        }
    }

    private void abortTask(Pdu pdu) {
        int referenced = pdu.referencedTaskTag();
        Task task = state.tasks.get(referenced);
        if (task != null) {
            abortAll(pdu.itt(), t -> t == task, false);
            return;
        }
        if (responder.abortWhere(t -> t.itt == referenced) > 0) {
            respond(pdu.itt(), FUNCTION_COMPLETE, false);
            return;
        }
        // Section 11.5.1: an unknown task whose RefCmdSN lies in the window and before this
        // request's CmdSN counts as received and aborted: "function complete".
        int refCmdSn = pdu.refCmdSn();
        boolean inWindow = SerialNumbers.inWindow(refCmdSn, state.expCmdSn, state.maxCmdSn())
                && SerialNumbers.lessThan(refCmdSn, pdu.cmdSn());
        respond(pdu.itt(), inWindow ? FUNCTION_COMPLETE : TASK_DOES_NOT_EXIST, false);
    }

    private void abortAll(int tmfItt, Predicate<Task> matches, boolean closeAfter) {
        Pending pending = new Pending(tmfItt, closeAfter);
        List<Task> victims = new ArrayList<>();
        for (Task task : state.tasks.values()) {
            if (matches.test(task)) {
                victims.add(task);
            }
        }
        for (Task task : victims) {
            if (task.state == Task.State.COLLECTING) {
                state.finish(task); // its buffer and budget are released at once
            } else if (task.state == Task.State.EXECUTING) {
                task.state = Task.State.ABORTED;
                task.tmfWaiter = pending;
                pending.tasksRemaining++;
            } else {
                assert task.state == Task.State.ABORTED : task; // aborted twice: the first TMF waits
            }
        }
        int dropped = responder.abortWhere(matches);
        LOG.info("task management aborted {} tasks ({} still in the logical unit, {} responses dropped)",
                victims.size(), pending.tasksRemaining, dropped);
        if (pending.tasksRemaining == 0) {
            respond(tmfItt, FUNCTION_COMPLETE, closeAfter);
        }
    }

    private void respond(int itt, int response, boolean closeAfter) {
        if (state.closed) {
            return;
        }
        Pdu pdu = state.statusPdu(Opcode.TASK_MGMT_RESPONSE).itt(itt).response(response);
        if (closeAfter) {
            state.ctx.writeAndFlush(pdu).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        state.write(pdu);
        state.flush();
    }
}
