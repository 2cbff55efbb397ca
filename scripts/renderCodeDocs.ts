// Regenerates the code tables of src/engine/checks/README.md from the registries (diagnosticCodes.ts and
// checks/registry.ts): `npm run docs:codes`. test/unit/checks/registry.test.ts fails while they differ.

import fs from 'node:fs';
import path from 'node:path';
import { renderChecksReadme } from '../src/engine/checks/registry';

const readmePath = path.join(__dirname, '..', '..', 'src', 'engine', 'checks', 'README.md');
const before = fs.readFileSync(readmePath, 'utf8');
const after = renderChecksReadme(before);
if (after === before) {
  console.log(`${path.relative(process.cwd(), readmePath)} is up to date`);
} else {
  fs.writeFileSync(readmePath, after);
  console.log(`${path.relative(process.cwd(), readmePath)} rewritten`);
}
