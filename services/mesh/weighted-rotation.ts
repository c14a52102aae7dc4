import type { Instance } from '../../gen/switchboard/v1/registry';

/** Copies the heaviest instance gets at most in a rotation. */
const MAX_COPIES = 16;

/**
 * The instances in the order a round robin should visit them to honour
 * their weights: each appears in proportion to its weight (weights divided
 * by their greatest common divisor, scaled so the heaviest appears at most
 * MAX_COPIES times, every instance at least once), interleaved so that
 * heavy instances are not visited in runs. Both ways of carrying calls
 * balance with it.
 */
export function weightedRotation(instances: Instance[]): Instance[] {
  const weights = instances.map((i) => Math.max(1, i.weight));
  const divisor = weights.reduce(gcd, 0) || 1;
  const heaviest = Math.max(1, ...weights) / divisor;
  const scale = Math.min(1, MAX_COPIES / heaviest);
  const copies = weights.map((w) =>
    Math.max(1, Math.round((w / divisor) * scale)),
  );
  const rotation: Instance[] = [];
  const rounds = Math.max(0, ...copies);
  for (let round = 0; round < rounds; round++) {
    instances.forEach((instance, i) => {
      if (round < copies[i]) rotation.push(instance);
    });
  }
  return rotation;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
