// The workspace the runners open: a copy of the bundled sample (samples/sample.kho.json +
// sample.raw + sample.dtb), or, until samples/ exists, the small kho-v3 fixture in test/fixtures
// under the same names.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './codeServer.mjs';

export const SAMPLES_DIR = path.join(ROOT, 'samples');
export const FALLBACK_FIXTURE = process.env.KHO_FALLBACK_FIXTURE || path.join(ROOT, 'test', 'fixtures', 'small-v3-raw');
export const PAIRING = 'sample.kho.json';

/** Copies a file keeping holes (sample images may be large and sparse). */
export function copySparse(from, to) {
  const r = spawnSync('cp', ['--sparse=always', '--', from, to]);
  if (r.status !== 0) fs.copyFileSync(from, to);
}

/**
 * Fills `dir` (recreated) with the sample dump and returns
 * { dir, pairing: abs path of sample.kho.json, source: 'samples' | <fixture dir>, expected?: parsed expected.json }.
 */
export function prepareSampleWorkspace(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(path.join(SAMPLES_DIR, PAIRING))) {
    for (const e of fs.readdirSync(SAMPLES_DIR, { withFileTypes: true })) {
      if (e.isFile()) copySparse(path.join(SAMPLES_DIR, e.name), path.join(dir, e.name));
    }
    return {
      dir,
      pairing: path.join(dir, PAIRING),
      source: 'samples',
      expected: readJsonIfAny(path.join(SAMPLES_DIR, 'expected.json')),
    };
  }
  if (!fs.existsSync(path.join(FALLBACK_FIXTURE, 'image.raw'))) {
    throw new Error(`no bundled sample (${SAMPLES_DIR}/${PAIRING}) and no fallback fixture at ${FALLBACK_FIXTURE}`);
  }
  copySparse(path.join(FALLBACK_FIXTURE, 'image.raw'), path.join(dir, 'sample.raw'));
  copySparse(path.join(FALLBACK_FIXTURE, 'kho.dtb'), path.join(dir, 'sample.dtb'));
  fs.writeFileSync(
    path.join(dir, PAIRING),
    JSON.stringify({ image: 'sample.raw', fdt: 'sample.dtb', base: '0x0', pageSize: 4096, format: 'auto' }, null, 2) +
      '\n',
  );
  return {
    dir,
    pairing: path.join(dir, PAIRING),
    source: FALLBACK_FIXTURE,
    expected: readJsonIfAny(path.join(FALLBACK_FIXTURE, 'expected.json')),
  };
}

function readJsonIfAny(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
