import path from 'node:path';
import { describeExit, readableLine, startChild } from './child-process';
import type { Child } from './child-process';

/** Options of {@link startScene}. */
export interface SceneOptions {
  /** Session instances to start: `session-1`, `session-2`… */
  sessionInstances: number;
  /** `LOG_LEVEL` of every child. */
  logLevel: string;
  /** Where readable lines go. */
  print(label: string, text: string): void;
}

/** The processes of the game, all on 127.0.0.1. */
export interface Scene {
  readonly registryAddress: string;
  /**
   * Stops the instances (SIGTERM: they drain), then the registry, and
   * resolves to a failure line for every process that did not exit with
   * code 0 in time; never rejects.
   */
  stop(): Promise<string[]>;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 15_000;
// A drain lets calls in flight finish for up to 10 s; the demo ends its
// streams before it stops the instances, so this is only a bound.
const STOP_TIMEOUT_MS = 15_000;
const REGISTRY_READY = /^switchboard registry listening on (\S+)$/;
const INSTANCE_READY = /^\S+ instance \S+ serving at (\S+)$/;

/**
 * Starts the registry (`bin/switchboard.js registry --port 0`), then the
 * Session instances and one User instance (`user-1`), each as a child
 * process, and resolves once each has printed that it serves. If one fails
 * to start, those already started are stopped and the error is rethrown.
 */
export async function startScene(options: SceneOptions): Promise<Scene> {
  const registry = await startChild({
    name: 'registry',
    args: [path.join(ROOT, 'bin', 'switchboard.js'), 'registry', '--port', '0'],
    env: { LOG_LEVEL: options.logLevel },
    readyLine: REGISTRY_READY,
    startTimeoutMs: START_TIMEOUT_MS,
    print: (line) => options.print('registry', readableLine(line)),
  });
  options.print('registry', `listening on ${registry.address}`);
  const names = ['user-1'];
  for (let i = 1; i <= options.sessionInstances; i++)
    names.push(`session-${i}`);
  const started = await Promise.allSettled(
    names.map((name) => startInstance(name, registry.address, options)),
  );
  const instances = fulfilled(started);
  const scene = {
    registryAddress: registry.address,
    stop: () => stopAll(instances, registry, options),
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await scene.stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return scene;
}

async function startInstance(
  name: string,
  registryAddress: string,
  options: SceneOptions,
): Promise<Child> {
  const service = name.slice(0, name.indexOf('-'));
  const child = await startChild({
    name,
    args: [path.join(ROOT, 'dist', 'services', service, 'main.js')],
    env: {
      REGISTRY_ADDRESS: registryAddress,
      INSTANCE_ID: name,
      LOG_LEVEL: options.logLevel,
    },
    readyLine: INSTANCE_READY,
    startTimeoutMs: START_TIMEOUT_MS,
    print: (line) => options.print(name, readableLine(line)),
  });
  options.print(name, `serving at ${child.address}`);
  return child;
}

async function stopAll(
  instances: Child[],
  registry: Child,
  options: SceneOptions,
): Promise<string[]> {
  const outcomes = await Promise.all(instances.map(stopOne));
  outcomes.push(await stopOne(registry));
  options.print('stopped', outcomes.map((o) => o.text).join(', '));
  return outcomes.flatMap((o) => (o.failure ? [o.failure] : []));
}

async function stopOne(
  child: Child,
): Promise<{ text: string; failure?: string }> {
  try {
    const exit = await child.stop(STOP_TIMEOUT_MS);
    if (exit.code === 0) return { text: `${child.name} exit 0` };
    return {
      text: `${child.name} ${exit.signal ?? `exit ${exit.code}`}`,
      failure: `stop: ${child.name} ${describeExit(exit)}`,
    };
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message : String(error);
    return { text: `${child.name} killed`, failure: `stop: ${why}` };
  }
}

function fulfilled<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}
