// The sample dumps under test/fixtures (made by an independent implementation, with their expected
// decodings; see test/fixtures/README.md). KHO_FIXTURES points the tests at another copy.
import * as path from 'path';
import { REPO } from './cli';

export const FIXTURES = process.env.KHO_FIXTURES ?? path.join(REPO, 'test', 'fixtures');

/** The folder of one sample dump, e.g. fixtureDir('small-v3-raw'). */
export function fixtureDir(name: string): string {
  return path.join(FIXTURES, name);
}
