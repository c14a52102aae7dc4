import type { SessionTally, Tally, WindowCounts } from './tally';

/** Width of the label column of every line the demo prints. */
const LABEL_WIDTH = 11;

/** One line of output: a label column, then the text. */
export function formatLine(label: string, text: string): string {
  return `${label.padEnd(LABEL_WIDTH - 1)} ${text}`;
}

/** `session-1 ×3, session-2 ×1`, instances sorted by name. */
export function formatCounts(counts: Map<string, number>): string {
  if (counts.size === 0) return 'none';
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ×${n}`)
    .join(', ');
}

const COLUMNS = [10, 11, 27, 14];

/** The header of the table of sessions. */
export function sessionHeader(): string {
  return (
    row(['session', 'created on', 'Play streams served by', 'inputs acked']) +
    'top score'
  );
}

/** One row of the table of sessions. */
export function sessionRow(session: SessionTally): string {
  return (
    row([
      session.sessionId,
      session.createdOn,
      formatCounts(session.streams),
      `${session.inputsAcked} of ${session.inputsSent}`,
    ]) + String(session.topScore)
  );
}

function row(cells: string[]): string {
  return cells.map((cell, i) => `${cell.padEnd(COLUMNS[i])} `).join('');
}

/** The round trip of an input, from send to acknowledging state. */
export function latencyText(p50Ms: number, p99Ms: number): string {
  if (Number.isNaN(p50Ms)) return 'no input acknowledged';
  return `p50 ${formatMs(p50Ms)}, p99 ${formatMs(p99Ms)}`;
}

/** The summary line of one period of `--forever`. */
export function summaryText(
  window: WindowCounts,
  periodMs: number,
  failures: number,
): string {
  const perSecond = Math.round(window.inputsSent / (periodMs / 1_000));
  const parts = [
    `${window.inputsSent} inputs sent, ${window.inputsAcked} acked (${perSecond}/s)`,
    `round trip ${latencyText(window.p50Ms, window.p99Ms)}`,
  ];
  if (failures > 0) parts.push(`${failures} failures so far`);
  return parts.join('; ');
}

/**
 * The lines that close the run: one per session, the latency, the
 * explanation of split sessions when there are some, and the totals.
 */
export function finalLines(tally: Tally, players: number): string[] {
  const lines = [sessionHeader()];
  for (const session of tally.sessions.values()) {
    lines.push(sessionRow(session));
  }
  const { latency } = tally;
  const p50 = latency.percentile(0.5);
  const p99 = latency.percentile(0.99);
  lines.push(
    formatLine(
      'round trip',
      `${latencyText(p50, p99)} over ${latency.count} inputs`,
    ),
  );
  const split = [...tally.sessions.values()].filter((s) => s.streams.size > 1);
  if (split.length > 0) lines.push(...splitNote(split.length));
  const { inputsSent, inputsAcked } = tally.totals();
  lines.push(
    formatLine(
      'totals',
      `${players} players in ${tally.sessions.size} sessions: ` +
        `${inputsSent} inputs sent, ${inputsAcked} acked; ` +
        `${tally.failures.length} failures`,
    ),
  );
  return lines;
}

function splitNote(count: number): string[] {
  const text = [
    `${count} sessions were played on more than one Session instance:`,
    'without route keys, calls are balanced round robin, and each instance',
    'plays its own copy of a session with the players that reached it.',
    'Route keys (a later issue) send every input of a session to one',
    'instance.',
  ];
  return text.map((line, i) => formatLine(i === 0 ? 'note' : '', line));
}

// Two significant digits: the histogram is only 5% precise.
function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
