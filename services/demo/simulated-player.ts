import type { ServiceError } from '@grpc/grpc-js';
import type { SessionClient } from '../../gen/demo/v1/session';
import type {
  GetJoinedSessionReply,
  LoginReply,
  SetJoinedSessionReply,
  UserClient,
} from '../../gen/demo/v1/user';
import { startPlayRun } from './play-run';
import type { PlayOptions, PlayRun } from './play-run';

type Done<T> = (error: ServiceError | null, reply: T) => void;

/**
 * One simulated player, as a game client would be: it logs in through the
 * User service, joins a session through it (User then calls Session), and
 * plays the session on a Play stream of the Session service. Every call
 * goes through the mesh clients it is given; a failed call rejects with
 * the call's status error.
 */
export class SimulatedPlayer {
  playerId = '';
  sessionId = '';
  private token = '';

  constructor(
    readonly name: string,
    private readonly users: UserClient,
    private readonly sessions: SessionClient,
  ) {}

  async login(): Promise<void> {
    const reply = await unary<LoginReply>((done) =>
      this.users.login({ playerName: this.name }, done),
    );
    this.playerId = reply.playerId;
    this.token = reply.token;
  }

  /** Joins `sessionId`; resolves to the Session instance that admitted. */
  async join(sessionId: string): Promise<string> {
    const request = { playerId: this.playerId, token: this.token, sessionId };
    const reply = await unary<SetJoinedSessionReply>((done) =>
      this.users.setJoinedSession(request, done),
    );
    this.sessionId = reply.sessionId;
    return reply.sessionInstanceId;
  }

  /** The session the User service remembers for this player. */
  async joinedSession(): Promise<string> {
    const reply = await unary<GetJoinedSessionReply>((done) =>
      this.users.getJoinedSession({ playerId: this.playerId }, done),
    );
    return reply.sessionId;
  }

  /** Opens the Play stream of the joined session and starts playing. */
  play(options: PlayOptions): PlayRun {
    return startPlayRun(this, this.sessions, options);
  }
}

function unary<T>(start: (done: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, reply) => (error ? reject(error) : resolve(reply))),
  );
}
