import { SessionClient } from '../../gen/demo/v1/session';
import type { CreateSessionReply } from '../../gen/demo/v1/session';
import { UserClient } from '../../gen/demo/v1/user';
import type { Mesh } from '../mesh';
import { formatCounts, summaryText } from './report';
import { SimulatedPlayer } from './simulated-player';
import { Tally } from './tally';

/** Options of {@link playSwarm}. */
export interface SwarmOptions {
  players: number;
  sessions: number;
  /** How long to play, in ms; ignored with `forever`. */
  playMs: number;
  inputIntervalMs: number;
  /** Play until `stop` aborts, printing a summary every period. */
  forever: boolean;
  summaryIntervalMs: number;
}

type Print = (label: string, text: string) => void;

// How long a stream may take to end once its player stopped sending.
const STREAM_END_TIMEOUT_MS = 5_000;
// The Play streams' deadline beyond the planned play, when there is a plan.
const PLAY_DEADLINE_MARGIN_MS = 20_000;

/**
 * Plays the game with simulated players through `mesh`: they log in, the
 * sessions are created, every player joins one (round the sessions in
 * turn) and plays it on its own Play stream until the play time is over or
 * `stop` aborts. Resolves to what was counted; a failed step rejects with
 * an error that names it, and failures of single streams are counted in
 * the tally instead.
 */
export async function playSwarm(
  mesh: Mesh,
  options: SwarmOptions,
  stop: AbortSignal,
  print: Print,
): Promise<Tally> {
  const users = mesh.client(UserClient);
  const sessions = mesh.client(SessionClient);
  const tally = new Tally();
  const players = await logIn(options.players, users, sessions);
  print('logged in', `${players.length} players through the User service`);
  const sessionIds = await createSessions(options.sessions, sessions, tally);
  const creators = formatCounts(tally.sessionsPerCreator());
  print('created', `${sessionIds.length} sessions: ${creators}`);
  const admitted = await joinSessions(players, sessionIds);
  print(
    'joined',
    `${players.length} players through User, which calls Session: ` +
      `admitted by ${formatCounts(admitted)}`,
  );
  await play(players, options, stop, tally, print);
  await checkJoined(players, tally);
  return tally;
}

async function logIn(
  count: number,
  users: UserClient,
  sessions: SessionClient,
): Promise<SimulatedPlayer[]> {
  const players: SimulatedPlayer[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `player-${String(i).padStart(2, '0')}`;
    players.push(new SimulatedPlayer(name, users, sessions));
  }
  await Promise.all(players.map((p) => step(`login of ${p.name}`, p.login())));
  return players;
}

async function createSessions(
  count: number,
  sessions: SessionClient,
  tally: Tally,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const reply = await step(
      'CreateSession',
      new Promise<CreateSessionReply>((resolve, reject) =>
        sessions.createSession({}, (e, r) => (e ? reject(e) : resolve(r))),
      ),
    );
    tally.addSession(reply.sessionId, reply.instanceId);
    ids.push(reply.sessionId);
  }
  return ids;
}

async function joinSessions(
  players: SimulatedPlayer[],
  sessionIds: string[],
): Promise<Map<string, number>> {
  const admitters = await Promise.all(
    players.map((p, i) => {
      const sessionId = sessionIds[i % sessionIds.length];
      return step(`join of ${p.name} to ${sessionId}`, p.join(sessionId));
    }),
  );
  const counts = new Map<string, number>();
  for (const id of admitters) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

async function play(
  players: SimulatedPlayer[],
  options: SwarmOptions,
  stop: AbortSignal,
  tally: Tally,
  print: Print,
): Promise<void> {
  const deadlineMs = options.forever
    ? Infinity
    : Date.now() + options.playMs + PLAY_DEADLINE_MARGIN_MS;
  // Game clients connect in no particular order; in the order of joining,
  // round robin would line every session up with one instance by chance.
  const runs = shuffled(players).map((p) =>
    p.play({ inputIntervalMs: options.inputIntervalMs, deadlineMs, tally }),
  );
  const how = options.forever
    ? 'until Ctrl-C'
    : `for ${options.playMs / 1_000} s`;
  print(
    'playing',
    `${runs.length} Play streams, ` +
      `one input every ${options.inputIntervalMs} ms each, ${how}`,
  );
  const summaries = options.forever
    ? printSummaries(tally, options.summaryIntervalMs, print)
    : undefined;
  await until(stop, options.forever ? Infinity : options.playMs);
  clearInterval(summaries);
  await Promise.all(runs.map((run) => run.stop(STREAM_END_TIMEOUT_MS)));
}

async function checkJoined(
  players: SimulatedPlayer[],
  tally: Tally,
): Promise<void> {
  const joined = await Promise.all(
    players.map((p) =>
      step(`GetJoinedSession of ${p.name}`, p.joinedSession()),
    ),
  );
  players.forEach((player, i) => {
    if (joined[i] !== player.sessionId) {
      tally.fail(
        `user: ${player.name} is in session "${joined[i]}" ` +
          `for the User service, not "${player.sessionId}"`,
      );
    }
  });
}

function printSummaries(
  tally: Tally,
  periodMs: number,
  print: Print,
): NodeJS.Timeout {
  const startedMs = Date.now();
  return setInterval(() => {
    const elapsed = `+${Math.round((Date.now() - startedMs) / 1_000)} s`;
    const window = tally.takeWindow();
    print(elapsed, summaryText(window, periodMs, tally.failures.length));
  }, periodMs);
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function until(signal: AbortSignal, ms: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `promise`, with a failure that names the step and the status. */
async function step<T>(what: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`demo: ${what} failed: ${why}`);
  }
}
