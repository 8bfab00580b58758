package io.pmtarget.it.support;

import java.util.Objects;

/**
 * libiscsi URL: {@code iscsi://[user%password@]127.0.0.1:PORT/IQN/LUN[?target_user=..&target_password=..]}.
 * Always loopback: the it module needs no network beyond 127.0.0.1.
 */
public record IscsiUrl(int port, String iqn, int lun, String user, String password,
                       String targetUser, String targetPassword) {

    public static final String HOST = "127.0.0.1";

    public IscsiUrl {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        Objects.requireNonNull(iqn, "iqn");
        if (lun < 0) {
            throw new IllegalArgumentException("negative lun: " + lun);
        }
    }

    public static IscsiUrl of(int port, String iqn, int lun) {
        return new IscsiUrl(port, iqn, lun, null, null, null, null);
    }

    public IscsiUrl withChap(String newUser, String newPassword) {
        return new IscsiUrl(port, iqn, lun, newUser, newPassword, targetUser, targetPassword);
    }

    public IscsiUrl withMutualChap(String newTargetUser, String newTargetPassword) {
        return new IscsiUrl(port, iqn, lun, user, password, newTargetUser, newTargetPassword);
    }

    public IscsiUrl withIqn(String newIqn) {
        return new IscsiUrl(port, newIqn, lun, user, password, targetUser, targetPassword);
    }

    public IscsiUrl withLun(int newLun) {
        return new IscsiUrl(port, iqn, newLun, user, password, targetUser, targetPassword);
    }

    public IscsiUrl withoutChap() {
        return of(port, iqn, lun);
    }

    /** {@code iscsi://127.0.0.1:PORT} for discovery (iscsi-ls). */
    public String portalUrl() {
        return "iscsi://" + credentials() + HOST + ":" + port;
    }

    @Override
    public String toString() {
        String query = targetUser == null ? ""
                : "?target_user=" + targetUser + "&target_password=" + targetPassword;
        return portalUrl() + "/" + iqn + "/" + lun + query;
    }

    private String credentials() {
        return user == null ? "" : user + "%" + password + "@";
    }
}
