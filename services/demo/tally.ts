import { LatencyHistogram } from './latency-histogram';

/** What happened to one session during the demo. */
export interface SessionTally {
  readonly sessionId: string;
  /** The Session instance that answered CreateSession. */
  readonly createdOn: string;
  /** Play streams per Session instance that served them. */
  readonly streams: Map<string, number>;
  inputsSent: number;
  inputsAcked: number;
  /** The best score any player of the session reached. */
  topScore: number;
}

/** Counts of the inputs of one period. */
export interface WindowCounts {
  inputsSent: number;
  inputsAcked: number;
  /** Round trip of an input, in ms; NaN when none was acknowledged. */
  p50Ms: number;
  p99Ms: number;
}

/**
 * Everything the swarm counts: per session, in total, and since the last
 * summary of `--forever`. Failures are kept as readable lines, and any one
 * of them fails the demo.
 */
export class Tally {
  readonly sessions = new Map<string, SessionTally>();
  readonly failures: string[] = [];
  readonly latency = new LatencyHistogram();
  private readonly windowLatency = new LatencyHistogram();
  private windowSent = 0;
  private windowAcked = 0;

  addSession(sessionId: string, createdOn: string): void {
    this.sessions.set(sessionId, {
      sessionId,
      createdOn,
      streams: new Map(),
      inputsSent: 0,
      inputsAcked: 0,
      topScore: 0,
    });
  }

  /** A Play stream of `sessionId` is served by `instanceId`. */
  streamServed(sessionId: string, instanceId: string): void {
    const streams = this.session(sessionId).streams;
    streams.set(instanceId, (streams.get(instanceId) ?? 0) + 1);
  }

  inputSent(sessionId: string): void {
    this.session(sessionId).inputsSent += 1;
    this.windowSent += 1;
  }

  /** An input of `sessionId` came back acknowledged after `latencyMs`. */
  inputAcked(sessionId: string, latencyMs: number): void {
    this.session(sessionId).inputsAcked += 1;
    this.windowAcked += 1;
    this.latency.record(latencyMs);
    this.windowLatency.record(latencyMs);
  }

  scored(sessionId: string, score: number): void {
    const session = this.session(sessionId);
    session.topScore = Math.max(session.topScore, score);
  }

  fail(line: string): void {
    this.failures.push(line);
  }

  /** Inputs sent and acknowledged over the whole run. */
  totals(): { inputsSent: number; inputsAcked: number } {
    let inputsSent = 0;
    let inputsAcked = 0;
    for (const session of this.sessions.values()) {
      inputsSent += session.inputsSent;
      inputsAcked += session.inputsAcked;
    }
    return { inputsSent, inputsAcked };
  }

  /** Sessions per Session instance that created them. */
  sessionsPerCreator(): Map<string, number> {
    const total = new Map<string, number>();
    for (const { createdOn } of this.sessions.values()) {
      total.set(createdOn, (total.get(createdOn) ?? 0) + 1);
    }
    return total;
  }

  /** Play streams per Session instance, over all sessions. */
  streamsPerInstance(): Map<string, number> {
    const total = new Map<string, number>();
    for (const session of this.sessions.values()) {
      for (const [instanceId, n] of session.streams) {
        total.set(instanceId, (total.get(instanceId) ?? 0) + n);
      }
    }
    return total;
  }

  /** The counts since the last call, and starts a new period. */
  takeWindow(): WindowCounts {
    const counts: WindowCounts = {
      inputsSent: this.windowSent,
      inputsAcked: this.windowAcked,
      p50Ms: this.windowLatency.percentile(0.5),
      p99Ms: this.windowLatency.percentile(0.99),
    };
    this.windowSent = 0;
    this.windowAcked = 0;
    this.windowLatency.reset();
    return counts;
  }

  private session(sessionId: string): SessionTally {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`tally: unknown session "${sessionId}"`);
    return session;
  }
}
