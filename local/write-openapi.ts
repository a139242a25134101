/**
 * `npm run openapi`: regenerates openapi.json (the checked-in contract) from the routes and their schemas.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiFileText } from '../shared/http/openapi-document.js';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(rootDir, 'openapi.json');
await writeFile(target, openApiFileText());
console.log(`wrote ${target}`);
