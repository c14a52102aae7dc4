import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DEMO = path.join(ROOT, 'dist', 'services', 'demo', 'demo.js');
const RUN_TIMEOUT_MS = 40_000;

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let demo: ChildProcess | undefined;

/**
 * Runs the built demo (`make build` first) to its end. Past the timeout it
 * gets SIGTERM, so that it stops its own children, then SIGKILL.
 */
function runDemo(args: string[] = []): Promise<DemoRun> {
  const child = spawn(process.execPath, [DEMO, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo = child;
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const term = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
  const kill = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS + 10_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(term);
      clearTimeout(kill);
      demo = undefined;
      resolve({ code, stdout, stderr });
    }),
  );
}

afterAll(() => {
  demo?.kill('SIGTERM');
});

describe('make demo', () => {
  it('plays the game across both Session instances and exits 0', async () => {
    const run = await runDemo();

    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(run.stdout).toMatch(/^session-1 +serving at 127\.0\.0\.1:\d+$/m);
    expect(run.stdout).toMatch(/^session-2 +serving at 127\.0\.0\.1:\d+$/m);
    const served = /^s-\w+ +session-\d +(.+?) {2,}/gm;
    const instances = [...run.stdout.matchAll(served)].map((m) => m[1]);
    expect(instances.join(', ')).toMatch(/session-1/);
    expect(instances.join(', ')).toMatch(/session-2/);
    const totals =
      /^totals +24 players in 6 sessions: (\d+) inputs sent, (\d+) acked; 0 failures$/m.exec(
        run.stdout,
      );
    expect(totals).not.toBeNull();
    const [, sent, acked] = totals ?? [];
    expect(Number(sent)).toBeGreaterThan(0);
    expect(acked).toBe(sent);
    expect(run.stdout).toMatch(
      /^stopped +user-1 exit 0, session-1 exit 0, session-2 exit 0, registry exit 0$/m,
    );
  });

  it('refuses a flag with a bad value, naming it, with exit code 2', async () => {
    const run = await runDemo(['--players', 'many']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'demo: --players is "many"; give a whole number from 1 to 1000\n',
    );
  });
});
