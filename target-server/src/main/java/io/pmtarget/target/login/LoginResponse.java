package io.pmtarget.target.login;

import java.util.Objects;

/**
 * The fields of one Login Response PDU (RFC 7143 11.13) decided by the login logic. The caller
 * adds StatSN, ExpCmdSN and MaxCmdSN.
 *
 * @param transit T bit
 * @param cont C bit (more response text follows)
 * @param csg current stage
 * @param nsg next stage (0 when transit is false)
 * @param versionMax always 0
 * @param versionActive always 0
 * @param isid echoed ISID
 * @param tsih the TSIH: the new one in the final response of a leading login, else the request's
 * @param initiatorTaskTag echoed ITT
 * @param status status class and detail
 * @param data the text (NUL-terminated key=value pairs), at most 8192 bytes
 */
public record LoginResponse(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int versionMax,
        int versionActive,
        long isid,
        int tsih,
        int initiatorTaskTag,
        LoginStatus status,
        byte[] data) {

    public LoginResponse {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(data, "data");
        if (transit && cont) {
            throw new IllegalArgumentException("T and C may not both be set (RFC 7143 11.13.1)");
        }
        if (!transit && nsg != 0) {
            throw new IllegalArgumentException("NSG is reserved (0) when T is 0");
        }
        if (data.length > LoginStateMachine.LOGIN_SEGMENT_LENGTH_BYTES_MAX) {
            throw new IllegalArgumentException("login response segment of " + data.length + " bytes");
        }
    }
}
