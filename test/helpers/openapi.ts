import { buildApp } from '../../src/server/app.ts';
import { openDatabase } from '../../src/server/db/connection.ts';
import { testConfig } from './app.ts';

/** The OpenAPI document of the app as built from this source tree (no database needed to describe it). */
export async function openApiDocument(): Promise<unknown> {
  const database = await openDatabase({ databaseUrl: undefined, dataDir: '', databasePoolMax: 1, inMemory: true });
  const app = await buildApp({ config: testConfig(), database, clock: () => new Date(), logger: false });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
    await database.close();
  }
}
