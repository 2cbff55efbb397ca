// Entry point for extension-host tests, with @vscode/test-electron's `extensionTestsPath`
// contract: VS Code loads this module inside the extension host and awaits run(); a rejection
// means failure. Test files are found by glob (every *.test.js next to this file), and the
// outcome is written to $KHO_EXTHOST_RESULTS for the runner.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000 });
  const dir = __dirname;
  for (const f of fs.readdirSync(dir).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  }
  const resultsFile = process.env.KHO_EXTHOST_RESULTS;
  return new Promise((resolve, reject) => {
    let passes = 0;
    const titles: string[] = [];
    const runner = mocha.run((failures) => {
      if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify({ passes, failures, titles }, null, 2));
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      passes++;
      titles.push('ok ' + t.fullTitle());
    });
    runner.on('fail', (t, err) => {
      titles.push('FAIL ' + t.fullTitle() + ': ' + (err as Error)?.message);
    });
    runner.on('pending', (t) => {
      titles.push('SKIPPED ' + t.fullTitle());
    });
  });
}
