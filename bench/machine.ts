/** What the benchmark ran on, printed and recorded with the figures. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The machine and the versions that matter to the figures. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  grpcJs: string;
  moleculer: string;
  /**
   * 1-minute load average when the benchmark started: other work on the
   * machine (a test suite…) skews every figure, and shows here.
   */
  loadAverage: number;
}

/** Describes this machine and process. */
export function describeMachine(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    grpcJs: packageVersion('@grpc/grpc-js'),
    moleculer: packageVersion('moleculer'),
    loadAverage: os.loadavg()[0],
  };
}

/** One line: `2 cores (…), 24 GiB, …, node v20…, grpc-js 1.14…; load …`. */
export function formatMachine(machine: MachineInfo): string {
  return (
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ` +
    `${machine.platform}, node ${machine.node}, ` +
    `grpc-js ${machine.grpcJs}, moleculer ${machine.moleculer}; ` +
    `load average ${machine.loadAverage.toFixed(2)}`
  );
}

/**
 * The installed version of `name`, read from the package.json found above
 * its entry point: packages whose `exports` hide their package.json still
 * have it on disk.
 */
function packageVersion(name: string): string {
  let folder = path.dirname(require.resolve(name));
  for (let depth = 0; depth < 5; depth++) {
    try {
      const manifest = JSON.parse(
        readFileSync(path.join(folder, 'package.json'), 'utf8'),
      ) as { name?: string; version?: string };
      if (manifest.name === name) return manifest.version ?? 'unknown';
    } catch {
      // No package.json at this level: keep climbing.
    }
    folder = path.dirname(folder);
  }
  return 'unknown';
}
