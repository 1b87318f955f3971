import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { stepTransaction } from '../../functions/_shared/step-bounds.ts';
import { useTestDatabase } from '../support/db.ts';

const database = useTestDatabase();

/**
 * What RDS Proxy can see of a step's session state. AWS lists "setting parameters" among the
 * PostgreSQL pinning conditions; the proxy learns of a parameter change from the ParameterStatus
 * messages the server sends (application_name is one it always reports). Traced here on the wire
 * with the driver's onparameter hook: every step transaction sets application_name (the fence needs
 * it, for other sessions to see), so every proxied step session counts as pinned, and the
 * ProxySessionsPinned alarm is sized for that (infra/constructs/operations.ts).
 */
describe('RDS Proxy pinning: what a step transaction sets', () => {
  it('reports an application_name change to the client in every step transaction (a parameter set: the proxy pins)', async () => {
    const reported: Array<[string, string]> = [];
    const sql = postgres(database.current.url, { max: 1, prepare: false, onnotice: () => {}, onparameter: (key, value) => reported.push([key, value]) });
    try {
      await sql`select 1`;
      reported.length = 0;
      await stepTransaction(
        sql,
        'LinkChunk',
        '00000000-0000-4000-8000-000000000001',
        { clientAccountId: '00000000-0000-4000-8000-000000000002', engagementId: '00000000-0000-4000-8000-000000000003' },
        async (tx) => tx`select 1`,
      );
      const names = reported.filter(([key]) => key === 'application_name').map(([, value]) => value);
      // set inside the transaction (the attempt's name and deadline), then back at COMMIT
      expect(names).toHaveLength(2);
      expect(names[0]).toMatch(/^fl:/);
      // the bounds are transaction-local and not reported: the proxy sees them only as the statement text
      expect(reported.map(([key]) => key)).not.toContain('statement_timeout');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
