import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { InstanceState, StreamingKind } from '../gen/switchboard/v1/registry';
import type {
  InstanceAnnouncement,
  ServiceInfo,
} from '../gen/switchboard/v1/registry';
import { isServiceName, parseMethodName } from '../services/mesh/names';
import { createStatusError } from '../services/mesh/status-error';
import type { StatusError } from '../services/mesh/status-error';
import type { RegistryLimits } from './limits';

/** An announcement that passed every rule, ready for the store. */
export interface ValidAnnouncement {
  instanceId: string;
  address: string;
  services: ServiceInfo[];
  labels: Record<string, string>;
  weight: number;
  state: InstanceState;
  fileDescriptors: Uint8Array[];
}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const MAX_HOST_LENGTH = 253;

/** An INVALID_ARGUMENT error whose message starts with `announce:`. */
export function invalidAnnounce(specifics: string): StatusError {
  return createStatusError(status.INVALID_ARGUMENT, `announce: ${specifics}`);
}

/**
 * Checks an instance's first Announce message against every rule and the
 * limits; throws an INVALID_ARGUMENT status error naming the field and the
 * rule at the first violation.
 */
export function validateAnnouncement(
  announcement: InstanceAnnouncement,
  limits: RegistryLimits,
): ValidAnnouncement {
  const instanceId = checkInstanceId(announcement.instanceId, limits);
  checkAddress(announcement.address);
  checkServices(announcement.services, limits);
  checkLabels(announcement.labels, limits);
  const weight = checkWeight(announcement.weight, limits);
  const state = checkInitialState(announcement.state);
  checkFileDescriptors(announcement, limits);
  return {
    instanceId,
    address: announcement.address,
    services: announcement.services,
    labels: { ...announcement.labels },
    weight,
    state,
    fileDescriptors: announcement.fileDescriptors,
  };
}

function checkInstanceId(id: string, limits: RegistryLimits): string {
  if (id.length === 0) {
    throw invalidAnnounce('instance_id is empty; give each instance an id');
  }
  if (id.length > limits.maxInstanceIdLength) {
    throw invalidAnnounce(
      `instance_id is ${id.length} characters, over the limit of ${limits.maxInstanceIdLength}`,
    );
  }
  if (!INSTANCE_ID.test(id)) {
    throw invalidAnnounce(
      `instance_id ${quote(id)} may hold only letters, digits and . _ : -`,
    );
  }
  return id;
}

function checkAddress(address: string): void {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  const hostValid =
    host.length > 0 &&
    host.length <= MAX_HOST_LENGTH &&
    (HOST_NAME.test(host) || IPV6_HOST.test(host));
  const portValid =
    /^[0-9]{1,5}$/.test(address.slice(colon + 1)) && port >= 1 && port <= 65535;
  if (colon <= 0 || !hostValid || !portValid) {
    throw invalidAnnounce(
      `address ${quote(address)} is not of the form host:port with a port from 1 to 65535`,
    );
  }
}

function checkServices(services: ServiceInfo[], limits: RegistryLimits): void {
  if (services.length === 0) {
    throw invalidAnnounce('services is empty; announce at least one service');
  }
  if (services.length > limits.maxServices) {
    throw invalidAnnounce(
      `${services.length} services announced, over the limit of ${limits.maxServices}`,
    );
  }
  const seen = new Set<string>();
  for (const service of services) {
    checkServiceName(service.name, limits);
    if (seen.has(service.name)) {
      throw invalidAnnounce(
        `service ${quote(service.name)} is announced twice`,
      );
    }
    seen.add(service.name);
    checkMethods(service, limits);
  }
}

function checkServiceName(name: string, limits: RegistryLimits): void {
  if (name.length === 0) {
    throw invalidAnnounce('a service name is empty');
  }
  if (name.length > limits.maxNameLength) {
    throw invalidAnnounce(
      `service name of ${name.length} characters is over the limit of ${limits.maxNameLength}`,
    );
  }
  if (!isServiceName(name)) {
    throw invalidAnnounce(
      `service name ${quote(name)} is not of the form pkg.Service`,
    );
  }
}

function checkMethods(service: ServiceInfo, limits: RegistryLimits): void {
  if (service.methods.length === 0) {
    throw invalidAnnounce(`service ${quote(service.name)} has no methods`);
  }
  if (service.methods.length > limits.maxMethodsPerService) {
    throw invalidAnnounce(
      `service ${quote(service.name)} has ${service.methods.length} ` +
        `methods, over the limit of ${limits.maxMethodsPerService}`,
    );
  }
  const seen = new Set<string>();
  for (const method of service.methods) {
    const name = method.fullName;
    if (name.length > limits.maxNameLength) {
      throw invalidAnnounce(
        `method name of ${name.length} characters is over the limit of ${limits.maxNameLength}`,
      );
    }
    const parsed = parseMethodName(name);
    if (!parsed) {
      throw invalidAnnounce(
        `method name ${quote(name)} is not of the form /pkg.Service/Method`,
      );
    }
    if (parsed.service !== service.name) {
      throw invalidAnnounce(
        `method ${quote(name)} is listed under service ${quote(service.name)}, not its own`,
      );
    }
    if (seen.has(name)) {
      throw invalidAnnounce(`method ${quote(name)} is announced twice`);
    }
    seen.add(name);
    if (!isKnownKind(method.kind)) {
      throw invalidAnnounce(
        `method ${quote(name)} has no streaming kind; give unary, server, client or bidi stream`,
      );
    }
  }
}

function isKnownKind(kind: StreamingKind): boolean {
  return (
    kind === StreamingKind.STREAMING_KIND_UNARY ||
    kind === StreamingKind.STREAMING_KIND_SERVER_STREAM ||
    kind === StreamingKind.STREAMING_KIND_CLIENT_STREAM ||
    kind === StreamingKind.STREAMING_KIND_BIDI_STREAM
  );
}

function checkLabels(
  labels: Record<string, string>,
  limits: RegistryLimits,
): void {
  const entries = Object.entries(labels);
  if (entries.length > limits.maxLabels) {
    throw invalidAnnounce(
      `${entries.length} labels, over the limit of ${limits.maxLabels}`,
    );
  }
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > limits.maxLabelKeyLength) {
      throw invalidAnnounce(
        `label key ${quote(key)} must have 1 to ${limits.maxLabelKeyLength} characters`,
      );
    }
    if (!LABEL_KEY.test(key)) {
      throw invalidAnnounce(
        `label key ${quote(key)} may hold only letters, digits and . _ / -`,
      );
    }
    if (value.length > limits.maxLabelValueLength) {
      throw invalidAnnounce(
        `label ${quote(key)} has a value of ${value.length} ` +
          `characters, over the limit of ${limits.maxLabelValueLength}`,
      );
    }
  }
}

function checkWeight(weight: number, limits: RegistryLimits): number {
  if (weight > limits.maxWeight) {
    throw invalidAnnounce(
      `weight ${weight} is over the limit of ${limits.maxWeight}`,
    );
  }
  return weight === 0 ? 1 : weight;
}

function checkInitialState(state: InstanceState): InstanceState {
  if (state === InstanceState.INSTANCE_STATE_UNSPECIFIED) {
    return InstanceState.INSTANCE_STATE_SERVING;
  }
  if (!isKnownState(state)) {
    throw invalidAnnounce(`state ${state} is neither serving nor draining`);
  }
  return state;
}

/** Tells whether `state` is serving or draining. */
export function isKnownState(state: InstanceState): boolean {
  return (
    state === InstanceState.INSTANCE_STATE_SERVING ||
    state === InstanceState.INSTANCE_STATE_DRAINING
  );
}

function checkFileDescriptors(
  announcement: InstanceAnnouncement,
  limits: RegistryLimits,
): void {
  const blobs = announcement.fileDescriptors;
  if (blobs.length === 0) return;
  if (blobs.length > limits.maxFileDescriptors) {
    throw invalidAnnounce(
      `${blobs.length} file_descriptors, over the limit of ${limits.maxFileDescriptors}`,
    );
  }
  const files = blobs.map((blob, index) => parseFileDescriptor(blob, index));
  const defined = definedMethods(files);
  for (const service of announcement.services) {
    const methods = defined.get(service.name);
    if (!methods) {
      throw invalidAnnounce(
        `service ${quote(service.name)} is not defined in the announced file_descriptors`,
      );
    }
    for (const method of service.methods) {
      if (!methods.has(method.fullName)) {
        throw invalidAnnounce(
          `method ${quote(method.fullName)} is not defined in the announced file_descriptors`,
        );
      }
    }
  }
}

function parseFileDescriptor(blob: Uint8Array, index: number) {
  try {
    return fromBinary(FileDescriptorProtoSchema, blob);
  } catch {
    throw invalidAnnounce(
      `file_descriptors[${index}] is not a serialized FileDescriptorProto`,
    );
  }
}

/** Every service defined in `files`, with its full method names. */
function definedMethods(
  files: FileDescriptorProto[],
): Map<string, Set<string>> {
  const services = new Map<string, Set<string>>();
  for (const file of files) {
    const prefix = file.package ? `${file.package}.` : '';
    for (const service of file.service) {
      const name = `${prefix}${service.name}`;
      const methods = service.method.map((m) => `/${name}/${m.name}`);
      services.set(name, new Set(methods));
    }
  }
  return services;
}

/** Quotes a value for an error message, cut to a readable length. */
export function quote(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}
