package io.mppbroker.cluster;

import io.agroal.api.AgroalDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jboss.logging.Logger;

/**
 * Work that one node of the cluster must do alone (writing the shared audit files), elected with a PostgreSQL
 * session advisory lock: held as long as this node's connection lives, so a node that dies or loses the
 * database hands the work over to the next node that asks, with no timeout to tune.
 */
public final class Lease {

    private static final Logger LOG = Logger.getLogger(Lease.class);

    private final AgroalDataSource dataSource;
    private final long key;
    private final String name;
    private Connection connection;

    /** @param key the advisory lock key, one per kind of work */
    public Lease(AgroalDataSource dataSource, long key, String name) {
        this.dataSource = dataSource;
        this.key = key;
        this.name = name;
    }

    /** True if this node holds the lease now (taking it if it is free). */
    public synchronized boolean hold() {
        if (connection != null) {
            if (stillHeld()) {
                return true;
            }
            LOG.warnf("lost the %s lease (database connection gone); another node may take over", name);
            release();
        }
        try {
            Connection c = dataSource.getConnection();
            c.setAutoCommit(true);
            try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                st.setLong(1, key);
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        connection = c;
                        LOG.infof("this node took the %s lease", name);
                        return true;
                    }
                }
            }
            c.close();
        } catch (SQLException e) {
            LOG.debugf("cannot ask for the %s lease: %s", name, e.getMessage());
        }
        return false;
    }

    private boolean stillHeld() {
        try {
            return connection.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Gives the lease up (closing the session releases the advisory lock). */
    public synchronized void release() {
        if (connection == null) {
            return;
        }
        try {
            try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                st.setLong(1, key);
                st.execute();
            }
            connection.close();
        } catch (SQLException e) {
            LOG.debugf("releasing the %s lease: %s", name, e.getMessage());
        } finally {
            connection = null;
        }
    }
}
