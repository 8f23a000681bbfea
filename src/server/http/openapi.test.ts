import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openApiDocument } from '../../../test/helpers/openapi.ts';

test('the committed docs/openapi.json matches the API (regenerate with `npm run openapi`)', async () => {
  const committed = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
  assert.deepEqual(await openApiDocument(), committed);
});
