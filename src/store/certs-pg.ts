// User certificates in the PostgreSQL store: the serial comes from one sequence, so nodes never hand out the same one.
import type pg from 'pg';
import type { Certificates } from './store.js';
import { toIssued, toRevocation } from './certs-sqlite.js';

export function pgCertificates(pool: pg.Pool): Certificates {
  return {
    async nextCertSerial() {
      return Number((await pool.query("SELECT nextval('cert_serials') AS n")).rows[0].n);
    },
    async recordIssuedCert(c) {
      await pool.query('INSERT INTO issued_certs (serial, "user", key_id, fingerprint, valid_before, issued_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [c.serial, c.user, c.keyId, c.fingerprint, c.validBefore, new Date().toISOString()]);
    },
    async listIssuedCerts() {
      return (await pool.query('SELECT * FROM issued_certs ORDER BY serial')).rows.map(toIssued);
    },
    async revokeCert(c) {
      await pool.query('INSERT INTO cert_revocations (serial, ca, key_id, reason, revoked_at) VALUES ($1, $2, $3, $4, $5)',
        [c.serial ?? null, c.ca ?? null, c.keyId ?? null, c.reason, new Date().toISOString()]);
    },
    async certRevocation(ca, serial, keyId) {
      const r = (await pool.query('SELECT * FROM cert_revocations WHERE (serial = $1 AND ca = $2) OR key_id = $3 ORDER BY id LIMIT 1', [serial, ca, keyId])).rows[0];
      return r && toRevocation(r);
    },
    async listCertRevocations() {
      return (await pool.query('SELECT * FROM cert_revocations ORDER BY id')).rows.map(toRevocation);
    },
    async setCertLogin(target, on) {
      return ((await pool.query('UPDATE targets SET cert_login = $1 WHERE name = $2', [on, target])).rowCount ?? 0) > 0;
    },
  };
}
