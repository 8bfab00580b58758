package io.pmtarget.target.portal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pmtarget.target.login.AuthPolicy;
import io.pmtarget.target.login.NegotiationLimits;
import io.pmtarget.target.login.Portal;
import io.pmtarget.target.login.StaticTargetDirectory;
import io.pmtarget.target.login.TargetPolicy;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecoder;
import io.pmtarget.target.pdu.PduEncoder;
import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.ScsiRequest;
import io.pmtarget.target.scsi.ScsiResponse;
import io.pmtarget.target.scsi.ScsiTarget;
import io.pmtarget.target.session.IscsiPipeline;
import io.pmtarget.target.session.SessionLimits;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The login adapter on a whole pipeline: bytes in, bytes out, then the full-feature phase. */
class LoginPhaseHandlerTest {
    private static final String TARGET = "iqn.2026-11.io.pmtarget:test";
    private static final String INITIATOR = "iqn.2026-11.io.pmtarget:initiator";
    private static final long ISID = 0x23d000000001L;

    /** A target with one LUN that answers every command GOOD and records the nexus. */
    private static final class RecordingTarget implements ScsiTarget {
        final List<ItNexus> nexuses = new ArrayList<>();

        @Override
        public int maxDataOutBytes() {
            return 1 << 20;
        }

        @Override
        public void execute(ScsiRequest request, Consumer<ScsiResponse> done) {
            nexuses.add(request.nexus());
            done.accept(new ScsiResponse(0, null, null));
        }

        @Override
        public void reset(long lun, ItNexus nexus, boolean wholeTarget) {
        }
    }

    private final RecordingTarget scsi = new RecordingTarget();

    private EmbeddedChannel newConnection(Set<String> allowed) {
        TargetPolicy policy = new TargetPolicy(TARGET, null, allowed, allowed.isEmpty(), AuthPolicy.NONE,
                NegotiationLimits.DEFAULTS, List.of(new Portal("127.0.0.1", 3260)), 1);
        StaticTargetDirectory directory = new StaticTargetDirectory(List.of(policy), AuthPolicy.NONE, true);
        IscsiPortals portals = new IscsiPortals(4, SessionLimits.defaults());
        return new EmbeddedChannel(portals.initializer(directory, name -> name.equals(TARGET) ? scsi : null));
    }

    private static ByteBuf text(String... pairs) {
        StringBuilder sb = new StringBuilder();
        for (String p : pairs) {
            sb.append(p).append('\0');
        }
        return Unpooled.wrappedBuffer(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Pdu loginRequest(int csg, int nsg, boolean transit, int cmdSn, ByteBuf keys) {
        return Pdu.create(Opcode.LOGIN_REQUEST).immediate(true).transitFlag(transit).currentStage(csg)
                .nextStage(transit ? nsg : 0).isid(ISID).tsih(0).itt(1).cid(0).cmdSn(cmdSn).expStatSn(0)
                .data(keys);
    }

    /** Encodes initiator PDUs (with or without digests) and feeds the bytes to the target. */
    private static void send(EmbeddedChannel target, boolean digests, Pdu pdu) {
        PduEncoder encoder = new PduEncoder();
        encoder.setDigests(digests, digests);
        EmbeddedChannel wire = new EmbeddedChannel(encoder);
        assertTrue(wire.writeOutbound(pdu));
        for (ByteBuf b; (b = wire.readOutbound()) != null; ) {
            target.writeInbound(b);
        }
        assertFalse(wire.finishAndReleaseAll());
    }

    /** Decodes what the target wrote, as the initiator would. */
    private static List<Pdu> receive(EmbeddedChannel target, boolean digests) {
        PduDecoder decoder = new PduDecoder();
        decoder.setDigests(digests, digests);
        decoder.setMaxRecvDataSegmentLengthBytes(1 << 20);
        EmbeddedChannel wire = new EmbeddedChannel(decoder);
        for (Object b; (b = target.readOutbound()) != null; ) {
            wire.writeInbound(b);
        }
        List<Pdu> out = new ArrayList<>();
        for (Object o; (o = wire.readInbound()) != null; ) {
            out.add((Pdu) o);
        }
        wire.finishAndReleaseAll();
        return out;
    }

    @Test
    void loginWithDigestsThenCommandInFullFeaturePhase() {
        EmbeddedChannel ch = newConnection(Set.of());
        send(ch, false, loginRequest(1, 3, true, 5, text("InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "SessionType=Normal", "HeaderDigest=CRC32C", "DataDigest=CRC32C", "ImmediateData=Yes",
                "InitialR2T=No", "MaxBurstLength=262144", "FirstBurstLength=65536",
                "MaxRecvDataSegmentLength=65536")));
        Pdu response = receive(ch, false).get(0);
        int rounds = 0;
        while (!response.transitFlag()) {
            // The target made offers (T=0): answer with no keys and ask again, as an initiator would.
            assertTrue(++rounds < 4, "login did not converge");
            assertEquals(0, response.statusClass());
            send(ch, false, loginRequest(1, 3, true, 5, Unpooled.EMPTY_BUFFER));
            response = receive(ch, false).get(0);
        }
        assertEquals(Opcode.LOGIN_RESPONSE, response.opcode());
        assertEquals(0, response.statusClass(), "status detail " + response.statusDetail());
        assertEquals(3, response.nextStage());
        assertTrue(response.tsih() > 0);
        assertEquals(5, response.expCmdSn());
        assertNotNull(ch.pipeline().get(IscsiPipeline.SESSION));

        // First PDU after the final Login Response: digests are on in both directions.
        Pdu tur = Pdu.create(Opcode.SCSI_COMMAND).finalFlag(true).itt(2).cmdSn(5).expStatSn(response.statSn() + 1)
                .expectedDataTransferLength(0).cdbField(new byte[6]);
        send(ch, true, tur);
        List<Pdu> answers = receive(ch, true);
        assertEquals(1, answers.size());
        assertEquals(Opcode.SCSI_RESPONSE, answers.get(0).opcode());
        assertEquals(0, answers.get(0).status());
        assertEquals(response.statSn() + 1, answers.get(0).statSn());
        assertEquals(new ItNexus(INITIATOR, ISID, TARGET, 1), scsi.nexuses.get(0));
        answers.forEach(Pdu::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void initiatorNotAllowedGetsAuthorizationFailureAndClose() {
        EmbeddedChannel ch = newConnection(Set.of("iqn.2026-11.io.pmtarget:someone-else"));
        send(ch, false, loginRequest(1, 3, true, 1, text("InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "SessionType=Normal")));
        Pdu response = receive(ch, false).get(0);
        assertEquals(2, response.statusClass());
        assertEquals(0x02, response.statusDetail());
        assertFalse(ch.isOpen());
    }

    @Test
    void nonLoginPduDuringLoginIsRefusedAndClosed() {
        EmbeddedChannel ch = newConnection(Set.of());
        send(ch, false, Pdu.create(Opcode.NOP_OUT).immediate(true).finalFlag(true).itt(9)
                .ttt(Pdu.RESERVED_TAG));
        Pdu response = receive(ch, false).get(0);
        assertEquals(Opcode.LOGIN_RESPONSE, response.opcode());
        assertEquals(2, response.statusClass());
        assertEquals(0x0b, response.statusDetail());
        assertFalse(ch.isOpen());
    }
}
