package io.pmtarget.target.login;

import java.util.Objects;

/**
 * The fields of one Login Request PDU (RFC 7143 11.12) the login logic needs, as plain values.
 *
 * @param transit T bit
 * @param cont C bit
 * @param csg current stage (0 security, 1 operational, 3 full feature)
 * @param nsg next stage
 * @param versionMax Version-max byte
 * @param versionMin Version-min byte
 * @param isid the 48-bit ISID in the low bits
 * @param tsih TSIH (0 for a new session)
 * @param initiatorTaskTag ITT, echoed in the response
 * @param cid connection ID
 * @param cmdSn CmdSN (the caller uses it for ExpCmdSN/MaxCmdSN)
 * @param expStatSn ExpStatSN (the caller checks it)
 * @param data the data segment without padding (owned by the request; not modified)
 */
public record LoginRequest(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int versionMax,
        int versionMin,
        long isid,
        int tsih,
        int initiatorTaskTag,
        int cid,
        int cmdSn,
        int expStatSn,
        byte[] data) {

    public LoginRequest {
        Objects.requireNonNull(data, "data");
        if (csg < 0 || csg > 3 || nsg < 0 || nsg > 3) {
            throw new IllegalArgumentException("stage fields are 2 bits: csg=" + csg + " nsg=" + nsg);
        }
        if (versionMax < 0 || versionMax > 255 || versionMin < 0 || versionMin > 255) {
            throw new IllegalArgumentException("version fields are bytes");
        }
        if ((isid >>> 48) != 0 || tsih < 0 || tsih > 0xffff || cid < 0 || cid > 0xffff) {
            throw new IllegalArgumentException("ISID is 48 bits, TSIH and CID 16 bits");
        }
    }
}
