// Two programs on one dump, interleaved deterministically: an `edit --in-place` is stopped at each
// step of its save (KHO_INSPECT_PAUSE_AT), and while it waits a reader (decode) or a second editor
// runs against the same files; or the stopped editor is killed and the next program opens the
// files. Every outcome is compared with the states the edits give when run one after the other:
// no edit is lost, image and FDT always belong to the same state, and exit codes say what
// happened (0: the edit is in the files, 2: it is not). KHO_INTERLEAVING_ROUNDS repeats each
// interleaving (default 1).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { journalPathFor, SAVE_STEPS, type SaveStep } from '../../../src/node/journal';
import { lockPathFor } from '../../../src/node/writeLock';
import { CLI, runCli, type CliRun } from '../../support/cli';
import { tempDir } from '../../support/dumpFiles';
import { Prng, seedFromEnv } from '../../support/prng';
import { hx, makeDump, sha256, writeFiles } from '../edit/helpers';

const ps = 4096n;
const region = `${hx(16n * ps)}-${hx(512n * ps)}`;
const ROUNDS = Math.max(1, Number(process.env.KHO_INTERLEAVING_ROUNDS ?? 1) | 0);

interface Running {
  pid: number;
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
  kill(): void;
}

function startCli(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  return { pid: child.pid!, done, kill: () => child.kill('SIGKILL') };
}

/** Resolves when `file` exists (the writer paused) or the writer ended without pausing. */
async function paused(file: string, w: Running): Promise<boolean> {
  let ended = false;
  void w.done.then(() => {
    ended = true;
  });
  while (!fs.existsSync(file)) {
    if (ended) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('kho-inspect: a save in place and other programs on the same files', function () {
  this.timeout(600_000);
  const seed = seedFromEnv();
  const dir = tempDir('kho-concurrent-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const t = makeDump(new Prng(seed), 3, 4096);
  const base = path.join(dir, 'base');
  fs.mkdirSync(base);
  const files = writeFiles(base, 'd', t, 'raw');
  // W changes tracker pages and the FDT file (a client); W2 changes other tracker pages.
  const W = ['--add', `${hx(448n * ps)}:4`, '--add-client', `extra=${hx(448n * ps)}:0x1000`];
  const W2 = ['--add-range', `${hx(400n * ps)}-${hx(407n * ps)}`];
  let n = 0;
  const fresh = () => {
    const d = path.join(dir, `case-${n++}`);
    fs.mkdirSync(d);
    const image = path.join(d, 'd.raw'),
      fdt = path.join(d, 'd.dtb');
    fs.copyFileSync(files.image, image);
    fs.copyFileSync(files.fdt, fdt);
    return { image, fdt };
  };
  const editArgs = (f: { image: string; fdt: string }, edits: string[]) => [
    'edit',
    f.image,
    '--fdt',
    f.fdt,
    ...edits,
    '--node-region',
    region,
    '--in-place',
  ];
  const state = (f: { image: string; fdt: string }) => `${sha256(f.image)}/${sha256(f.fdt)}`;

  // The states one after the other gives (the only ones the files may ever be left in).
  const states: Record<'none' | 'w' | 'w2' | 'both' | 'both2', string> = {
    none: '',
    w: '',
    w2: '',
    both: '',
    both2: '',
  };
  /** What decode shows of each state (preserved blocks and client names), to tell a torn read. */
  const views = new Map<string, string>();
  const view = (stdout: string) => {
    const j = JSON.parse(stdout);
    return JSON.stringify([j.preserved, j.fdt.subnodes.map((s: { name: string }) => s.name)]);
  };
  before(() => {
    const seen = (k: keyof typeof states, f: { image: string; fdt: string }) => {
      states[k] = state(f);
      const d = runCli(['decode', f.image, '--fdt', f.fdt]);
      assert.equal(d.code, 0, d.stderr);
      const v = view(d.stdout);
      if (!views.has(v)) views.set(v, k); // both orders of the two edits show the same blocks
    };
    seen('none', fresh());
    const fw = fresh();
    assert.equal(runCli(editArgs(fw, W)).code, 0);
    seen('w', fw);
    assert.equal(runCli(editArgs(fw, W2)).code, 0);
    seen('both', fw);
    const fw2 = fresh();
    assert.equal(runCli(editArgs(fw2, W2)).code, 0);
    seen('w2', fw2);
    assert.equal(runCli(editArgs(fw2, W)).code, 0);
    seen('both2', fw2);
    assert.equal(new Set([states.none, states.w, states.w2, states.both]).size, 4, 'the states differ');
  });
  const nameOf = (s: string) =>
    (Object.keys(states) as (keyof typeof states)[]).find((k) => states[k] === s) ?? 'torn/unknown';
  const outcomes = new Map<string, number>();
  const tally = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  after(() => {
    const lines = [...outcomes].map(([k, v]) => `      ${k}: ${v}`).join('\n');
    if (process.env.KHO_INTERLEAVING_REPORT)
      process.stdout.write(`    outcomes over ${ROUNDS} round(s) per interleaving:\n${lines}\n`);
  });

  /** Starts W paused at `step`; resolves once it waits there. */
  async function pausedWriter(f: { image: string; fdt: string }, step: SaveStep) {
    const pauseFile = path.join(path.dirname(f.image), `pause-${step}`);
    const w = startCli(editArgs(f, W), { KHO_INSPECT_PAUSE_AT: `${step}:${pauseFile}` });
    if (!(await paused(pauseFile, w))) assert.fail(`the editor never reached ${step}: ${(await w.done).stderr}`);
    return { w, resume: () => fs.rmSync(pauseFile) };
  }

  const clean = (f: { image: string }) => {
    assert.equal(fs.existsSync(journalPathFor(f.image)), false, 'no journal left');
    assert.equal(fs.existsSync(lockPathFor(f.image)), false, 'no lock left');
  };

  it('unpaused: two editors and a reader started together: both edits kept, the reader sees a whole state', async () => {
    for (let round = 0; round < ROUNDS * 5; round++) {
      const f = fresh();
      const [r1, r2, rd] = await Promise.all([
        startCli(editArgs(f, W)).done,
        startCli(editArgs(f, W2)).done,
        startCli(['decode', f.image, '--fdt', f.fdt]).done,
      ]);
      assert.equal(r1.code, 0, r1.stderr);
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(rd.code, 0, rd.stderr);
      const files = nameOf(state(f));
      assert.ok(files === 'both' || files === 'both2', `files ${files}`);
      const seen = views.get(view(rd.stdout));
      assert.ok(seen, 'the reader saw one of the states, not a torn one');
      clean(f);
      tally(`unpaused race: editors 0 and 0, reader 0 (saw ${seen}), files ${files}`);
    }
  });

  for (const step of SAVE_STEPS) {
    describe(`editor stopped at "${step}"`, () => {
      it('a reader that gives up says a save is in progress (naming the pid) and changes nothing; the save then completes', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const f = fresh();
          const { w, resume } = await pausedWriter(f, step);
          const mid = state(f);
          const r = startCli(['decode', f.image, '--fdt', f.fdt], { KHO_INSPECT_LOCK_WAIT_MS: '200' });
          const rr = await r.done;
          assert.equal(rr.code, 2, rr.stderr);
          assert.match(rr.stderr, new RegExp(`save of .* is in progress \\(pid ${w.pid}\\b`));
          assert.equal(state(f), mid, 'the reader touched nothing');
          resume();
          const wr = await w.done;
          assert.equal(wr.code, 0, wr.stderr);
          assert.equal(nameOf(state(f)), 'w');
          clean(f);
          tally(`${step} / reader gives up: reader 2, editor 0, files ${nameOf(state(f))}`);
        }
      });

      it('a reader that waits reads the saved state', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const f = fresh();
          const { w, resume } = await pausedWriter(f, step);
          const r = startCli(['decode', f.image, '--fdt', f.fdt]);
          setTimeout(resume, 100);
          const [rr, wr] = await Promise.all([r.done, w.done]);
          assert.equal(wr.code, 0, wr.stderr);
          assert.equal(rr.code, 0, rr.stderr);
          const j = JSON.parse(rr.stdout);
          assert.ok(
            j.preserved.some((b: { phys: string; order: number }) => BigInt(b.phys) === 448n * ps && b.order === 4),
            'the reader sees the saved block',
          );
          assert.ok(
            j.fdt.subnodes.some((s: { name: string }) => s.name === 'extra'),
            'and the saved FDT',
          );
          assert.equal(nameOf(state(f)), 'w');
          clean(f);
          tally(`${step} / reader waits: reader 0 (saved state), editor 0, files ${nameOf(state(f))}`);
        }
      });

      it('a second editor waits for the first and then applies its edit on top: both edits are kept', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const f = fresh();
          const { w, resume } = await pausedWriter(f, step);
          const w2 = startCli(editArgs(f, W2));
          setTimeout(resume, 100);
          const [r1, r2] = await Promise.all([w.done, w2.done]);
          assert.equal(r1.code, 0, r1.stderr);
          assert.equal(r2.code, 0, r2.stderr);
          assert.equal(nameOf(state(f)), 'both');
          clean(f);
          tally(`${step} / second editor waits: editors 0 and 0, files ${nameOf(state(f))}`);
        }
      });

      it('a second editor that gives up exits 2 naming the holder, and its edit is not in the files', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const f = fresh();
          const { w, resume } = await pausedWriter(f, step);
          const mid = state(f);
          const r2 = await startCli(editArgs(f, W2), { KHO_INSPECT_LOCK_WAIT_MS: '200' }).done;
          assert.equal(r2.code, 2, r2.stderr);
          assert.match(r2.stderr, new RegExp(`being saved by another program \\(pid ${w.pid}\\b`));
          assert.equal(r2.stderr.trim().split('\n').length, 1, 'one line');
          assert.equal(state(f), mid);
          resume();
          assert.equal((await w.done).code, 0);
          assert.equal(nameOf(state(f)), 'w');
          clean(f);
          tally(`${step} / second editor gives up: editor 0, second 2, files ${nameOf(state(f))}`);
        }
      });

      it('the editor killed there: the next reader rolls back (or keeps a committed save), the next editor applies its edit', async () => {
        const committed = step === 'done';
        for (let round = 0; round < ROUNDS; round++) {
          for (const next of ['reader', 'editor'] as const) {
            const f = fresh();
            const { w } = await pausedWriter(f, step);
            w.kill();
            const wr = await w.done;
            assert.equal(wr.signal, 'SIGKILL');
            const r = next === 'reader' ? runCli(['decode', f.image, '--fdt', f.fdt]) : runCli(editArgs(f, W2));
            assert.equal(r.code, 0, r.stderr);
            const want = next === 'reader' ? (committed ? 'w' : 'none') : committed ? 'both' : 'w2';
            assert.equal(nameOf(state(f)), want);
            if (!committed && step !== 'locked') assert.match(r.stderr, /rolled back an interrupted save/);
            clean(f);
            tally(`${step} / editor killed, then ${next}: ${next} 0, files ${nameOf(state(f))}`);
          }
        }
      });
    });
  }
});
