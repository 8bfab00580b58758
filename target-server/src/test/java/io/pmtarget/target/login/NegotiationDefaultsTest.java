package io.pmtarget.target.login;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.target.config.Negotiation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Login without a config negotiates exactly what the config's defaults (the shipped server) say. */
class NegotiationDefaultsTest {

    @Test
    void loginDefaultsAreTheConfigDefaults() {
        Negotiation config = Negotiation.defaults();
        NegotiationLimits login = NegotiationLimits.DEFAULTS;
        assertEquals(NegotiationLimits.fromConfig(config), login);
        assertEquals(config.headerDigests(), names(login.headerDigests()));
        assertEquals(config.dataDigests(), names(login.dataDigests()));
        assertEquals(config.maxRecvDataSegmentLengthBytes(), login.maxRecvDataSegmentLengthBytes());
        assertEquals(config.maxBurstLengthBytes(), login.maxBurstLengthBytes());
        assertEquals(config.firstBurstLengthBytes(), login.firstBurstLengthBytes());
        assertEquals(config.initialR2T(), login.initialR2T());
        assertEquals(config.immediateData(), login.immediateData());
        assertEquals(config.maxOutstandingR2T(), login.maxOutstandingR2T());
        assertEquals(config.maxConnections(), login.maxConnections());
        assertEquals(config.defaultTime2WaitSeconds(), login.defaultTime2WaitSeconds());
        assertEquals(config.defaultTime2RetainSeconds(), login.defaultTime2RetainSeconds());
        // What login fixes rather than configures must match what the config allows.
        assertEquals(0, config.errorRecoveryLevel());
        assertTrue(config.dataPduInOrder() && config.dataSequenceInOrder());
    }

    @Test
    void defaultsAreTheShippedValues() {
        NegotiationLimits d = NegotiationLimits.DEFAULTS;
        assertEquals(List.of(Digest.NONE, Digest.CRC32C), d.headerDigests());
        assertEquals(List.of(Digest.NONE, Digest.CRC32C), d.dataDigests());
        assertEquals(262_144, d.maxRecvDataSegmentLengthBytes());
        assertEquals(1_048_576, d.maxBurstLengthBytes());
        assertEquals(262_144, d.firstBurstLengthBytes());
        assertTrue(d.initialR2T());
        assertTrue(d.immediateData());
        assertEquals(1, d.maxOutstandingR2T());
        assertEquals(1, d.maxConnections());
        assertEquals(2, d.defaultTime2WaitSeconds());
        assertEquals(20, d.defaultTime2RetainSeconds());
        assertEquals(d, NegotiationLimits.fromRfcKeys(Map.of()), "no keys: the defaults");
    }

    private static List<String> names(List<Digest> digests) {
        return digests.stream().map(Digest::rfcName).toList();
    }
}
