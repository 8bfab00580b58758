package io.pmtarget.target.login;

import static io.pmtarget.target.login.LoginFixture.INITIATOR;
import static io.pmtarget.target.login.LoginFixture.assertStatus;
import static io.pmtarget.target.login.LoginFixture.concat;
import static io.pmtarget.target.login.LoginFixture.directory;
import static io.pmtarget.target.login.LoginFixture.identity;
import static io.pmtarget.target.login.LoginFixture.keys;
import static io.pmtarget.target.login.LoginFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every operational key (RFC 7143 section 13): result functions, caps, defaults, cross-key rules. */
class OperationalNegotiationTest {
    private final List<String> closed = new ArrayList<>();

    private LoginStateMachine machine(NegotiationLimits limits) {
        return LoginFixture.machine(directory(AuthPolicy.NONE, limits), LoginFixture.registry(closed));
    }

    /** One operational-stage request that asks for full feature phase. */
    private LoginResult negotiate(NegotiationLimits limits, String... pairs) {
        return machine(limits).onLoginRequest(request(1, 3, true, concat(identity(), pairs)));
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource({
        // Minimum: capped to our limit (DEFAULTS) or kept when lower.
        "MaxBurstLength, 16776192, 1048576",
        "MaxBurstLength, 131072, 131072",
        "FirstBurstLength, 1048576, 262144",
        "FirstBurstLength, 262144, 262144",
        "FirstBurstLength, 8192, 8192",
        "MaxOutstandingR2T, 8, 1",
        "MaxConnections, 4, 1",
        "DefaultTime2Retain, 3600, 20",
        "DefaultTime2Retain, 0, 0",
        "ErrorRecoveryLevel, 2, 0",
        "ErrorRecoveryLevel, 0, 0",
        // Maximum.
        "DefaultTime2Wait, 0, 2",
        "DefaultTime2Wait, 10, 10",
        // OR with our InitialR2T=Yes (the config default); OR with our fixed Yes for ordering.
        "InitialR2T, Yes, Yes",
        "InitialR2T, No, Yes",
        "DataPDUInOrder, No, Yes",
        "DataSequenceInOrder, No, Yes",
        // AND with our ImmediateData=Yes.
        "ImmediateData, Yes, Yes",
        "ImmediateData, No, No",
        // Lists: first of the initiator's that we support.
        "HeaderDigest, 'CRC32C,None', CRC32C",
        "HeaderDigest, 'None,CRC32C', None",
        "DataDigest, 'CRC32C,None', CRC32C",
        "HeaderDigest, 'MD5,CRC32C', CRC32C",
        "HeaderDigest, MD5, Reject",
        "TaskReporting, 'FastAbort,RFC3720', RFC3720",
        "TaskReporting, FastAbort, Reject",
        // Obsolete marker keys (RFC 7143 13.26).
        "IFMarker, No, No",
        "OFMarker, Yes, No",
        "OFMarkInt, 2048~8192, Reject",
        // Unknown and vendor keys.
        "X-com.example.Feature, on, NotUnderstood",
        "iSCSIProtocolLevel, 1, NotUnderstood",
        "SendTargets, All, NotUnderstood",
    })
    void keyIsNegotiated(String key, String offered, String expected) {
        LoginResult r = negotiate(NegotiationLimits.DEFAULTS, key + "=" + offered);
        assertStatus(LoginStatus.SUCCESS, r);
        assertEquals(expected, keys(r).get(key));
    }

    @Test
    void negotiatedValuesReachTheSession() {
        LoginResult r = negotiate(NegotiationLimits.DEFAULTS, "HeaderDigest=CRC32C,None",
                "DataDigest=CRC32C", "MaxRecvDataSegmentLength=131072", "MaxBurstLength=524288",
                "FirstBurstLength=32768", "InitialR2T=No", "ImmediateData=No",
                "MaxOutstandingR2T=1", "MaxConnections=1", "DefaultTime2Wait=3",
                "DefaultTime2Retain=0", "ErrorRecoveryLevel=2", "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes", "IFMarker=No", "OFMarker=No");
        OperationalParameters p = r.session().parameters();
        assertEquals(Digest.CRC32C, p.headerDigest());
        assertEquals(Digest.CRC32C, p.dataDigest());
        assertEquals(131072, p.initiatorMaxRecvDataSegmentLengthBytes());
        assertEquals(262144, p.targetMaxRecvDataSegmentLengthBytes());
        assertEquals(524288, p.maxBurstLengthBytes());
        assertEquals(32768, p.firstBurstLengthBytes());
        assertTrue(p.initialR2T(), "our InitialR2T=Yes wins (OR)");
        assertFalse(p.immediateData());
        assertEquals(1, p.maxOutstandingR2T());
        assertEquals(1, p.maxConnections());
        assertEquals(3, p.defaultTime2WaitSeconds());
        assertEquals(0, p.defaultTime2RetainSeconds());
        assertEquals(0, p.errorRecoveryLevel());
        assertTrue(p.dataPduInOrder() && p.dataSequenceInOrder());
    }

    @Test
    void defaultsApplyWhenNothingIsNegotiated() {
        OperationalParameters p = negotiate(NegotiationLimits.DEFAULTS).session().parameters();
        assertEquals(Digest.NONE, p.headerDigest());
        assertEquals(8192, p.initiatorMaxRecvDataSegmentLengthBytes());
        assertEquals(262144, p.maxBurstLengthBytes());
        assertEquals(65536, p.firstBurstLengthBytes());
        assertTrue(p.initialR2T());
        assertTrue(p.immediateData());
        assertEquals(20, p.defaultTime2RetainSeconds());
    }

    @Test
    void initiatorInitialR2TNoHoldsWhenOurLimitIsNo() {
        NegotiationLimits relaxed = NegotiationLimits.fromRfcKeys(Map.of("InitialR2T", "No"));
        LoginResult r = negotiate(relaxed, "InitialR2T=No");
        assertEquals("No", keys(r).get("InitialR2T"));
        assertFalse(r.session().parameters().initialR2T());
    }

    @Test
    void ourInitialR2TYesWins() {
        NegotiationLimits strict = new NegotiationLimits(List.of(Digest.NONE), List.of(Digest.NONE),
                8192, 262144, 65536, true, true, 1, 1, 2, 0);
        assertEquals("Yes", keys(negotiate(strict, "InitialR2T=No")).get("InitialR2T"));
    }

    @ParameterizedTest
    @CsvSource({
        "MaxBurstLength, 511", "MaxBurstLength, 16777216", "MaxBurstLength, lots",
        "FirstBurstLength, 0", "MaxRecvDataSegmentLength, 100", "MaxConnections, 0",
        "MaxOutstandingR2T, 65536", "DefaultTime2Wait, 3601", "ErrorRecoveryLevel, 3",
        "InitialR2T, maybe", "ImmediateData, yes", "IFMarker, 1", "HeaderDigest, 'CRC32C,'",
    })
    void invalidValuesAreInitiatorErrors(String key, String value) {
        assertStatus(LoginStatus.INITIATOR_ERROR, negotiate(NegotiationLimits.DEFAULTS, key + "=" + value));
    }

    @Test
    void requiredDigestThatInitiatorRefusesFailsLogin() {
        NegotiationLimits crcOnly = NegotiationLimits.fromRfcKeys(Map.of("HeaderDigest", "CRC32C"));
        assertStatus(LoginStatus.INITIATOR_ERROR, negotiate(crcOnly, "HeaderDigest=None"));
        assertEquals("CRC32C", keys(negotiate(crcOnly, "HeaderDigest=None,CRC32C")).get("HeaderDigest"));
    }

    @Test
    void firstBurstIsLoweredToMaxBurstInTheSameText() {
        LoginResult r = negotiate(NegotiationLimits.DEFAULTS, "FirstBurstLength=262144",
                "MaxBurstLength=16384");
        assertEquals("16384", keys(r).get("MaxBurstLength"));
        assertEquals("16384", keys(r).get("FirstBurstLength"));
        assertEquals(16384, r.session().parameters().firstBurstLengthBytes());
    }

    @Test
    void firstBurstAboveMaxBurstAcrossPdusIsInitiatorError() {
        LoginStateMachine m = machine(NegotiationLimits.DEFAULTS);
        m.onLoginRequest(request(1, 3, false, concat(identity(), "FirstBurstLength=65536")));
        assertStatus(LoginStatus.INITIATOR_ERROR, m.onLoginRequest(request(1, 3, true, "MaxBurstLength=16384")));
    }

    @Test
    void keyNegotiatedTwiceIsInitiatorError() {
        LoginStateMachine m = machine(NegotiationLimits.DEFAULTS);
        m.onLoginRequest(request(1, 3, false, concat(identity(), "MaxBurstLength=65536")));
        assertStatus(LoginStatus.INITIATOR_ERROR, m.onLoginRequest(request(1, 3, true, "MaxBurstLength=65536")));
    }

    @Test
    void targetOffersWhatDefaultsWouldGetWrong() {
        NegotiationLimits tight = NegotiationLimits.fromRfcKeys(Map.of("MaxBurstLength", "65536",
                "FirstBurstLength", "16384", "ImmediateData", "No", "DataDigest", "CRC32C"));
        LoginStateMachine m = machine(tight);
        LoginResult r1 = m.onLoginRequest(request(1, 3, true, identity()));
        assertStatus(LoginStatus.SUCCESS, r1);
        assertFalse(r1.response().transit(), "offers need answers before full feature phase");
        Map<String, String> offers = keys(r1);
        assertEquals("65536", offers.get("MaxBurstLength"));
        assertEquals("16384", offers.get("FirstBurstLength"));
        assertEquals("No", offers.get("ImmediateData"));
        assertEquals("CRC32C", offers.get("DataDigest"));
        assertEquals("262144", offers.get("MaxRecvDataSegmentLength"));
        LoginResult r2 = m.onLoginRequest(request(1, 3, true, "MaxBurstLength=32768",
                "FirstBurstLength=16384", "ImmediateData=No", "DataDigest=CRC32C"));
        assertEquals(LoginResult.Outcome.FULL_FEATURE, r2.outcome());
        OperationalParameters p = r2.session().parameters();
        assertEquals(32768, p.maxBurstLengthBytes());
        assertEquals(16384, p.firstBurstLengthBytes());
        assertFalse(p.immediateData());
        assertEquals(Digest.CRC32C, p.dataDigest());
    }

    @Test
    void answerAboveOurOfferIsInitiatorError() {
        NegotiationLimits tight = NegotiationLimits.fromRfcKeys(Map.of("MaxBurstLength", "65536",
                "FirstBurstLength", "16384"));
        LoginStateMachine m = machine(tight);
        m.onLoginRequest(request(1, 3, true, identity()));
        assertStatus(LoginStatus.INITIATOR_ERROR, m.onLoginRequest(request(1, 3, true,
                "MaxBurstLength=262144", "FirstBurstLength=16384")));
    }

    @Test
    void sessionKeysAreIrrelevantInDiscovery() {
        LoginResult r = machine(NegotiationLimits.DEFAULTS).onLoginRequest(request(1, 3, true,
                "InitiatorName=" + INITIATOR, "SessionType=Discovery", "MaxBurstLength=65536",
                "FirstBurstLength=65536", "InitialR2T=No", "ImmediateData=Yes", "MaxConnections=1",
                "MaxOutstandingR2T=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
                "HeaderDigest=CRC32C,None", "MaxRecvDataSegmentLength=32768", "DefaultTime2Wait=2"));
        Map<String, String> k = keys(r);
        for (String key : new String[] {"MaxBurstLength", "FirstBurstLength", "InitialR2T",
            "ImmediateData", "MaxConnections", "MaxOutstandingR2T", "DataPDUInOrder",
            "DataSequenceInOrder"}) {
            assertEquals("Irrelevant", k.get(key), key);
        }
        assertEquals("CRC32C", k.get("HeaderDigest"));
        assertEquals("2", k.get("DefaultTime2Wait"));
        assertEquals(32768, r.session().parameters().initiatorMaxRecvDataSegmentLengthBytes());
    }

    @Test
    void limitsFromConfigAreValidated() {
        NegotiationLimits l = NegotiationLimits.fromRfcKeys(Map.of("MaxRecvDataSegmentLength", "65536",
                "InitialR2T", "No", "DefaultTime2Retain", "0", "HeaderDigest", "None"));
        assertEquals(65536, l.maxRecvDataSegmentLengthBytes());
        assertFalse(l.initialR2T());
        assertEquals(0, l.defaultTime2RetainSeconds());
        assertEquals(NegotiationLimits.DEFAULTS.dataDigests(), l.dataDigests(), "unset keys keep the defaults");
        assertEquals(List.of(Digest.NONE), l.headerDigests());
        String[][] bad = {{"MaxBurstLengthh", "1"}, {"ErrorRecoveryLevel", "1"}, {"DataPDUInOrder", "No"},
            {"MaxBurstLength", "100"}, {"FirstBurstLength", "2097152"}, {"HeaderDigest", "MD5"},
            {"MaxConnections", "0"}};
        for (String[] kv : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NegotiationLimits.fromRfcKeys(Map.of(kv[0], kv[1])), kv[0]);
            assertTrue(e.getMessage().contains(kv[0].substring(0, 8)), e.getMessage());
        }
    }
}
