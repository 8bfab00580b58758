/**
 * iSCSI login, text negotiation and discovery as pure protocol logic (RFC 7143 sections 6,
 * 11.10-11.13, 12, 13; RFC 1994 CHAP). Nothing here touches Netty or sockets: the connection
 * adapter decodes PDUs into plain records, calls in, and encodes what comes back.
 *
 * <p>Login phase, one {@link io.pmtarget.target.login.LoginStateMachine} per connection:
 * <pre>
 *   LoginStateMachine m = new LoginStateMachine(directory, registry, secureRandom);
 *   for each Login Request PDU:
 *     LoginResult r = m.onLoginRequest(new LoginRequest(T, C, CSG, NSG, versionMax, versionMin,
 *                                                      isid, tsih, itt, cid, cmdSn, expStatSn, data));
 *     send Login Response from r.response() (+ StatSN, ExpCmdSN = CmdSN, MaxCmdSN)
 *     r.outcome(): CONTINUE -> wait for the next Login Request
 *                  FULL_FEATURE -> start the session with r.session()
 *                  CLOSE -> close the connection after the response
 *   any other PDU during login: answer LoginStatus.INVALID_REQUEST_DURING_LOGIN and close
 * </pre>
 *
 * <p>Full feature phase: one {@link io.pmtarget.target.login.TextNegotiation} per session
 * connection answers Text Requests (SendTargets with continuation, MaxRecvDataSegmentLength);
 * a {@link io.pmtarget.target.login.TextProtocolException} becomes a Reject PDU (reason 0x04).
 *
 * <p>Inputs from config: {@link io.pmtarget.target.login.TargetDirectory} (or
 * {@link io.pmtarget.target.login.StaticTargetDirectory}) of
 * {@link io.pmtarget.target.login.TargetPolicy} records with
 * {@link io.pmtarget.target.login.AuthPolicy}, {@link io.pmtarget.target.login.ChapCredential} and
 * {@link io.pmtarget.target.login.NegotiationLimits} (built from RFC key names). Sessions:
 * {@link io.pmtarget.target.login.SessionRegistry}, implemented by
 * {@link io.pmtarget.target.login.InMemorySessionRegistry}.
 */
package io.pmtarget.target.login;
