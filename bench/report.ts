/**
 * The benchmark's output: one table per case on standard output, and the
 * same figures, every round included, as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeCase, formatBytes } from './bench-cases';
import type { BenchCase } from './bench-cases';
import type { RoundFigures } from './round-summary';

/** The names of the systems that ratio columns divide by. */
export const BASELINES = { raw: 'raw grpc-js', moleculer: 'moleculer tcp' };

/** Ratios of a row's medians to a baseline's medians in the same case. */
export interface Ratios {
  /** Row calls/s ÷ baseline calls/s: above 1 is faster. */
  callsPerSecond: number;
  /** Row p50 ÷ baseline p50: below 1 is quicker. */
  p50: number;
  /** Row CPU per call ÷ baseline CPU per call: below 1 is cheaper. */
  cpuPerCall: number;
}

/** One system measured on one case. */
export interface CaseResult {
  case: BenchCase;
  system: string;
  rounds: RoundFigures[];
  median: RoundFigures;
  /** Against `raw grpc-js` and `moleculer tcp`, when they ran this case. */
  vsRaw?: Ratios;
  vsMoleculer?: Ratios;
}

/** Fills in the ratio fields of every result from its case's baselines. */
export function addRatios(results: CaseResult[]): void {
  for (const result of results) {
    const baseline = (system: string) =>
      results.find((r) => r.case.id === result.case.id && r.system === system);
    result.vsRaw = ratios(result, baseline(BASELINES.raw));
    result.vsMoleculer = ratios(result, baseline(BASELINES.moleculer));
  }
}

function ratios(row: CaseResult, base?: CaseResult): Ratios | undefined {
  if (!base) return undefined;
  return {
    callsPerSecond: row.median.callsPerSecond / base.median.callsPerSecond,
    p50: row.median.p50Ms / base.median.p50Ms,
    cpuPerCall: row.median.cpuUsPerCall / base.median.cpuUsPerCall,
  };
}

const COLUMNS = [
  'system',
  'in flight',
  'payload',
  'calls/s',
  'p50 ms',
  'p99 ms',
  'CPU µs/call',
  'client',
  'server',
  'calls/s ÷raw',
  'calls/s ÷mol',
  'CPU ÷raw',
  'CPU ÷mol',
];

/** The tables of every case, in the order of `cases`, with a legend. */
export function formatTables(
  cases: readonly BenchCase[],
  results: CaseResult[],
): string {
  const tables = cases
    .map((benchCase) => {
      const rows = results.filter((r) => r.case.id === benchCase.id);
      if (rows.length === 0) return '';
      return `${describeCase(benchCase)}\n${formatTable(rows.map(formatRow))}\n`;
    })
    .filter((table) => table !== '');
  return [...tables, LEGEND].join('\n');
}

const LEGEND = [
  'Medians over rounds. CPU µs/call is user + system time per completed',
  'call, of the calling process (client) plus the server-side processes',
  '(server). ÷raw and ÷mol divide by the raw grpc-js and moleculer tcp',
  'rows of the same case.',
].join('\n');

function formatRow(result: CaseResult): string[] {
  const m = result.median;
  return [
    result.system,
    String(result.case.inFlight),
    formatBytes(result.case.payloadBytes),
    m.callsPerSecond.toFixed(0),
    m.p50Ms.toFixed(3),
    m.p99Ms.toFixed(3),
    m.cpuUsPerCall.toFixed(1),
    m.clientCpuUsPerCall.toFixed(1),
    m.serverCpuUsPerCall.toFixed(1),
    formatRatio(result.vsRaw?.callsPerSecond),
    formatRatio(result.vsMoleculer?.callsPerSecond),
    formatRatio(result.vsRaw?.cpuPerCall),
    formatRatio(result.vsMoleculer?.cpuPerCall),
  ];
}

function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '-' : `${ratio.toFixed(2)}×`;
}

function formatTable(rows: string[][]): string {
  const widths = COLUMNS.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  // The system name reads left-aligned, every figure right-aligned.
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0
          ? cell.padEnd(widths[column])
          : cell.padStart(widths[column]),
      )
      .join('  ');
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}

/** Writes `document` as indented JSON, creating the folder if need be. */
export function writeJson(filePath: string, document: unknown): void {
  mkdirSync(path.dirname(filePath), { recursive: true });
  writeFileSync(filePath, `${JSON.stringify(document, null, 2)}\n`);
}
