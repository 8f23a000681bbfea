import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createTestTenant, createTestUser, manualClock, testConfig } from '../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../test/helpers/database.ts';
import { withSystem } from '../server/db/scope.ts';
import { signIn } from '../modules/auth/service.ts';
import { startJobRunner, type JobQueue } from './runner.ts';

for (const engine of engines()) {
  describe(`job runner (${engine})`, () => {
    let database: TestDatabase;
    let jobs: JobQueue;
    const clock = manualClock();
    const config = testConfig({ sessionIdleMinutes: 30 });
    before(async () => {
      database = await openTestDatabase(engine);
      jobs = await startJobRunner({
        database,
        deps: { db: database.db, clock, config },
        logger: pino({ level: 'silent' }),
        work: true,
        pollingIntervalSeconds: 0.5,
      });
    });
    after(async () => {
      await jobs.stop();
      await database.dispose();
    });

    test('runs the housekeeping job: ended sessions are purged, live ones kept', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant);
      const deps = { db: database.db, clock, config };
      await signIn(deps, { email: user.email, password: user.password, origin: { ip: '127.0.0.1' } });
      clock.advance(31 * 60_000);
      await signIn(deps, { email: user.email, password: user.password, origin: { ip: '127.0.0.1' } });
      const sessionsOf = () =>
        withSystem(database.db, (tx) => tx.selectFrom('auth_session').select('id').where('user_id', '=', user.id).execute());
      assert.equal((await sessionsOf()).length, 2);

      const id = await jobs.send('housekeeping.purge-credentials');
      let state: string | undefined;
      for (let i = 0; i < 100 && state !== 'completed' && state !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await jobs.state('housekeeping.purge-credentials', id);
      }
      assert.equal(state, 'completed');
      assert.equal((await sessionsOf()).length, 1, 'the idle session is gone, the fresh one stays');
    });
  });
}
