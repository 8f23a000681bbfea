// Writes the OpenAPI document the server serves at /api/openapi.json to docs/openapi.json, so API
// changes show up in review. `npm test` fails when the committed copy is out of date.
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../test/helpers/openapi.ts';

writeFileSync('docs/openapi.json', `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
console.log('wrote docs/openapi.json');
