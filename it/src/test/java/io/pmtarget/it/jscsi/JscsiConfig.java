package io.pmtarget.it.jscsi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.jscsi.exception.ConfigurationException;
import org.jscsi.initiator.Configuration;

/**
 * Writes the XML configuration jSCSI's initiator (org.jscsi:initiator 2.2) reads, plus its schema,
 * into a directory, and loads it.
 *
 * <p>Why both files: {@code Configuration.create()} without arguments reads
 * {@code src/main/resources/jscsi.xml} relative to the working directory (not the classpath), so
 * it only works inside jSCSI's own source tree; {@code create(xsd, xml)} is the usable entry
 * point. The schema must be the one shipped in the jar: jSCSI takes each key's scope and result
 * function from the schema's fixed attribute defaults, which validation copies into the DOM; a
 * config parsed without the schema throws a NullPointerException in {@code parseGlobalSettings}.
 */
final class JscsiConfig {

    static final String INITIATOR_NAME = "iqn.2026-11.io.pmtarget.it:jscsi";
    private static final String SCHEMA_RESOURCE = "/jscsi.xsd";

    private JscsiConfig() {
    }

    /**
     * @param targetId   the name jSCSI's API uses for the session (the XML {@code id})
     * @param port       portal port on 127.0.0.1
     * @param targetIqn  TargetName sent at login
     */
    static Configuration write(Path dir, String targetId, int port, String targetIqn)
            throws IOException, ConfigurationException {
        Files.createDirectories(dir);
        Path xsd = dir.resolve("jscsi.xsd");
        try (InputStream in = JscsiConfig.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("jscsi.xsd is not on the classpath: is org.jscsi:initiator missing?");
            }
            Files.copy(in, xsd, StandardCopyOption.REPLACE_EXISTING);
        }
        Path xml = dir.resolve("jscsi.xml");
        Files.writeString(xml, xml(targetId, port, targetIqn), StandardCharsets.UTF_8);
        return Configuration.create(xsd.toFile(), xml.toFile());
    }

    /**
     * Global keys: jSCSI offers every key in this block at login (RFC 7143 13), all in its first
     * Login Request, which is already in the operational stage (CSG=1: jSCSI never does a security
     * stage). Left out on purpose although jSCSI's sample config has them: AuthMethod (a security
     * key, RFC 7143 12.1; offered with CSG=1 our server refuses the login with 0x0200, "AuthMethod
     * outside the security stage", while tgtd tolerates it) and the marker keys IFMarker, OFMarker,
     * IFMarkInt, OFMarkInt (iSCSI markers are gone from RFC 7143; tgtd answers the intervals with
     * Reject). The schema makes all five optional. ImmediateData=No: with Yes, jSCSI's
     * ReadResponseState rejects a SCSI Response that follows the Data-In PDUs ("Parser should not
     * be instance of SCSIResponseParser because of ImmendiateData-Flag"), i.e. it demands status
     * in the last Data-In (RFC 7143 11.7.3 makes that optional for the target) and ties it to a
     * key that is about unsolicited write data (RFC 7143 13.11). Our server sends a separate SCSI
     * Response; tgtd collapses status into Data-In. The values are
     * RFC 7143 defaults except MaxRecvDataSegmentLength (8192 is also the default) and
     * ImmediateData/InitialR2T, chosen so writes exercise R2T + Data-Out (RFC 7143 13.10-13.11).
     * Digests are off: jSCSI's CRC32C is broken (see README-jscsi.md).
     */
    static String xml(String targetId, int port, String targetIqn) {
        return """
                <?xml version="1.0" encoding="UTF-8" ?>
                <configuration xmlns="http://www.jscsi.org/2006-09"
                    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                    xsi:schemaLocation="http://www.jscsi.org/2006-09 jscsi.xsd">
                  <global>
                    <DataDigest>None</DataDigest>
                    <DataPDUInOrder>Yes</DataPDUInOrder>
                    <DataSequenceInOrder>Yes</DataSequenceInOrder>
                    <DefaultTime2Retain>20</DefaultTime2Retain>
                    <DefaultTime2Wait>2</DefaultTime2Wait>
                    <ErrorRecoveryLevel>0</ErrorRecoveryLevel>
                    <FirstBurstLength>65536</FirstBurstLength>
                    <HeaderDigest>None</HeaderDigest>
                    <ImmediateData>No</ImmediateData>
                    <InitialR2T>Yes</InitialR2T>
                    <InitiatorAlias>pmtarget-it</InitiatorAlias>
                    <InitiatorName>%4$s</InitiatorName>
                    <MaxBurstLength>262144</MaxBurstLength>
                    <MaxConnections>1</MaxConnections>
                    <MaxOutstandingR2T>1</MaxOutstandingR2T>
                    <MaxRecvDataSegmentLength>8192</MaxRecvDataSegmentLength>
                    <SessionType>Normal</SessionType>
                  </global>
                  <target id="%1$s" address="127.0.0.1" port="%2$d">
                    <InitiatorName>%4$s</InitiatorName>
                    <TargetName>%3$s</TargetName>
                  </target>
                </configuration>
                """.formatted(targetId, port, targetIqn, INITIATOR_NAME);
    }
}
