import {
  FRAMES_PER_TURN,
  TurnPacer,
  UNPACED_BATCH_BYTES,
} from '../../../services/mesh/turn-pacer';

/** Resolves after the current turn of the event loop and the next. */
function afterTurns(turns: number): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) =>
      left === 0 ? resolve() : setImmediate(() => step(left - 1));
    step(turns);
  });
}

describe('TurnPacer', () => {
  it('runs the first batch of a turn at once', () => {
    const pacer = new TurnPacer();
    const ran: string[] = [];
    pacer.run(32, 100, () => ran.push('a'));
    expect(ran).toEqual(['a']);
  });

  it('leaves the batches past a turn’s share for later turns, in order', async () => {
    const pacer = new TurnPacer();
    const ran: string[] = [];
    pacer.run(FRAMES_PER_TURN, 100, () => ran.push('a'));
    pacer.run(1, 100, () => ran.push('b'));
    pacer.run(FRAMES_PER_TURN, 100, () => ran.push('c'));
    pacer.run(0, 0, () => ran.push('end'));
    expect(ran).toEqual(['a']);
    await afterTurns(1);
    expect(ran).toEqual(['a', 'b', 'c']);
    await afterTurns(2);
    expect(ran).toEqual(['a', 'b', 'c', 'end']);
  });

  it('runs small batches together until they fill a turn', () => {
    const pacer = new TurnPacer();
    const ran: number[] = [];
    for (let i = 0; i < FRAMES_PER_TURN + 4; i++) {
      pacer.run(1, 32, () => ran.push(i));
    }
    expect(ran).toHaveLength(FRAMES_PER_TURN);
  });

  it('does not count batches of large payloads against a turn', () => {
    const pacer = new TurnPacer();
    const ran: string[] = [];
    pacer.run(32, UNPACED_BATCH_BYTES, () => ran.push('large'));
    pacer.run(32, UNPACED_BATCH_BYTES * 2, () => ran.push('larger'));
    pacer.run(32, 100, () => ran.push('small'));
    pacer.run(1, 100, () => ran.push('next turn'));
    expect(ran).toEqual(['large', 'larger', 'small']);
  });

  it('runs work queued by earlier work after it', async () => {
    const pacer = new TurnPacer();
    const ran: string[] = [];
    pacer.run(FRAMES_PER_TURN, 0, () => {
      ran.push('a');
      pacer.run(1, 0, () => ran.push('queued by a'));
    });
    expect(ran).toEqual(['a']);
    await afterTurns(2);
    expect(ran).toEqual(['a', 'queued by a']);
  });
});
