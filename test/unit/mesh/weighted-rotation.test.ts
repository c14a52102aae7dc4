import { InstanceState } from '../../../gen/switchboard/v1/registry';
import type { Instance } from '../../../gen/switchboard/v1/registry';
import { weightedRotation } from '../../../services/mesh/weighted-rotation';

function instance(instanceId: string, weight: number): Instance {
  return {
    instanceId,
    address: `127.0.0.1:${1000 + weight}`,
    services: [],
    labels: {},
    weight,
    state: InstanceState.INSTANCE_STATE_SERVING,
    announcedAtMs: 0,
  };
}

const ids = (rotation: Instance[]) => rotation.map((i) => i.instanceId);

describe('weightedRotation', () => {
  it('repeats instances in proportion to their weights, interleaved', () => {
    const rotation = weightedRotation([instance('a', 3), instance('b', 1)]);
    expect(ids(rotation)).toEqual(['a', 'b', 'a', 'a']);
  });

  it('reduces weights by their greatest common divisor', () => {
    const rotation = weightedRotation([instance('a', 200), instance('b', 100)]);
    expect(ids(rotation)).toEqual(['a', 'b', 'a']);
  });

  it('caps the heaviest at 16 copies and keeps every instance', () => {
    const rotation = weightedRotation([instance('a', 1000), instance('b', 1)]);
    expect(ids(rotation).filter((id) => id === 'a')).toHaveLength(16);
    expect(ids(rotation)).toContain('b');
  });

  it('gives nothing for no instances', () => {
    expect(weightedRotation([])).toEqual([]);
  });
});
