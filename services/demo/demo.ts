/**
 * `make demo`: the game of the notes on one machine. It starts a registry,
 * two Session instances and a User instance as child processes, plays the
 * game with a swarm of simulated players for a few seconds, prints what went
 * where, stops everything and exits 0, or 1 with the failures on standard
 * error. `--forever` (`make run`) plays until Ctrl-C; see `--help`.
 */
import { createLogger, createMesh } from '../mesh';
import { DEMO_HELP, readDemoOptions } from './demo-options';
import type { DemoOptions } from './demo-options';
import { finalLines, formatLine } from './report';
import { startScene } from './scene';
import type { Scene } from './scene';
import { playSwarm } from './swarm';
import type { Tally } from './tally';

function print(label: string, text: string): void {
  process.stdout.write(`${formatLine(label, text)}\n`);
}

async function main(argv: string[]): Promise<number> {
  let options: DemoOptions;
  try {
    options = readDemoOptions(argv);
  } catch (error: unknown) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  const stop = stopOnSignals();
  const { players, sessions, sessionInstances } = options;
  print(
    'demo',
    `${players} players in ${sessions} sessions ` +
      `on ${sessionInstances} Session instances`,
  );
  const failures = await runScene(options, stop);
  if (failures.length === 0) {
    print('demo', 'ok');
    return 0;
  }
  for (const failure of failures) process.stderr.write(`${failure}\n`);
  process.stderr.write(`demo failed: ${failures.length} failures\n`);
  return 1;
}

async function runScene(
  options: DemoOptions,
  stop: AbortSignal,
): Promise<string[]> {
  let scene: Scene;
  try {
    scene = await startScene({ ...options, print });
  } catch (error: unknown) {
    return [messageOf(error)];
  }
  const failures: string[] = [];
  try {
    const tally = await playOn(scene, options, stop);
    for (const line of finalLines(tally, options.players)) {
      process.stdout.write(`${line}\n`);
    }
    failures.push(...tally.failures, ...idleInstances(tally, options));
  } catch (error: unknown) {
    failures.push(messageOf(error));
  }
  failures.push(...(await scene.stop()));
  return failures;
}

async function playOn(
  scene: Scene,
  options: DemoOptions,
  stop: AbortSignal,
): Promise<Tally> {
  const logger = createLogger({ level: options.logLevel, pretty: false });
  const mesh = createMesh({ registryAddress: scene.registryAddress, logger });
  try {
    return await playSwarm(mesh, options, stop, print);
  } finally {
    await mesh.close();
  }
}

// Round robin spreads the streams over every Session instance; one that
// served none means the mesh did not see it, which the demo is there to
// show. With few streams per instance, chance alone could leave one idle.
function idleInstances(tally: Tally, options: DemoOptions): string[] {
  if (options.players < 4 * options.sessionInstances) return [];
  const served = tally.streamsPerInstance();
  const failures: string[] = [];
  for (let i = 1; i <= options.sessionInstances; i++) {
    if (!served.has(`session-${i}`)) {
      failures.push(`demo: session-${i} served no Play stream`);
    }
  }
  return failures;
}

/**
 * The first SIGINT or SIGTERM stops the play, and the demo then shuts down
 * in order; a second one exits at once (the children are killed on exit).
 */
function stopOnSignals(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    print('signal', `${signal}: stopping the play, then every process`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
