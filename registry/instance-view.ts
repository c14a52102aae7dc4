import type { Instance, WatchResponse } from '../gen/switchboard/v1/registry';
import type { InstanceRecord, WatchEvent } from './store';

/** The public view of a stored instance: no descriptors, sorted labels. */
export function toInstance(record: InstanceRecord): Instance {
  return {
    instanceId: record.instanceId,
    address: record.address,
    services: record.services,
    labels: record.labels,
    weight: record.weight,
    state: record.state,
    announcedAtMs: record.announcedAtMs,
  };
}

/** The message a watcher receives for one store event. */
export function toWatchResponse(
  event: WatchEvent,
  epoch: string,
): WatchResponse {
  return { ...watchEventBody(event), epoch };
}

function watchEventBody(event: WatchEvent): Omit<WatchResponse, 'epoch'> {
  switch (event.type) {
    case 'snapshot':
      return {
        revision: event.revision,
        event: {
          $case: 'snapshot',
          value: { instances: event.instances.map(toInstance) },
        },
      };
    case 'upsert':
      return {
        revision: event.revision,
        event: { $case: 'upsert', value: toInstance(event.instance) },
      };
    case 'removal':
      return {
        revision: event.revision,
        event: {
          $case: 'removal',
          value: {
            instanceId: event.instance.instanceId,
            reason: event.reason,
          },
        },
      };
  }
}
