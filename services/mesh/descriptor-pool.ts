import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  MethodOptions_IdempotencyLevel,
} from '@bufbuild/protobuf/wkt';
import type {
  FileDescriptorProto,
  FileDescriptorSet,
} from '@bufbuild/protobuf/wkt';

/**
 * The protobuf files a process knows, read from a serialized
 * FileDescriptorSet (what `buf build` writes). It answers which files define
 * a service, with every file they import, so that an instance can announce
 * them and serve reflection.
 */
export class DescriptorPool {
  private readonly files = new Map<string, FileDescriptorProto>();
  private readonly serviceFiles = new Map<string, string>();

  constructor(descriptorSet: Uint8Array) {
    const set: FileDescriptorSet = fromBinary(
      FileDescriptorSetSchema,
      descriptorSet,
    );
    for (const file of set.file) {
      this.files.set(file.name, file);
      const prefix = file.package ? `${file.package}.` : '';
      for (const service of file.service) {
        this.serviceFiles.set(`${prefix}${service.name}`, file.name);
      }
    }
  }

  /**
   * Tells whether the method `/pkg.Service/Method` is marked
   * `idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT` in its contract:
   * a call to it may be sent again when it was lost. False for a method the
   * pool does not define.
   */
  isIdempotent(methodPath: string): boolean {
    const [, service, name] = methodPath.split('/');
    const file = this.files.get(this.serviceFiles.get(service) ?? '');
    const serviceName = service?.slice(service.lastIndexOf('.') + 1);
    const method = file?.service
      .find((s) => s.name === serviceName)
      ?.method.find((m) => m.name === name);
    const level = method?.options?.idempotencyLevel;
    return (
      level === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
      level === MethodOptions_IdempotencyLevel.IDEMPOTENT
    );
  }

  /** Tells whether the pool defines the service `pkg.Service`. */
  hasService(service: string): boolean {
    return this.serviceFiles.has(service);
  }

  /**
   * The files that define `services` and every file they import, each once,
   * dependencies first. Services the pool does not define are skipped.
   */
  filesFor(services: string[]): FileDescriptorProto[] {
    const ordered: FileDescriptorProto[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      const file = this.files.get(name);
      if (!file || seen.has(name)) return;
      seen.add(name);
      file.dependency.forEach(visit);
      ordered.push(file);
    };
    for (const service of services) {
      const name = this.serviceFiles.get(service);
      if (name) visit(name);
    }
    return ordered;
  }

  /** {@link filesFor}, each file serialized as a FileDescriptorProto. */
  serializedFilesFor(services: string[]): Uint8Array[] {
    return this.filesFor(services).map((file) =>
      toBinary(FileDescriptorProtoSchema, file),
    );
  }

  /**
   * The files of {@link filesFor} as one serialized FileDescriptorSet;
   * undefined when the pool defines none of `services`.
   */
  serializedSetFor(services: string[]): Uint8Array | undefined {
    const file = this.filesFor(services);
    if (file.length === 0) return undefined;
    return toBinary(
      FileDescriptorSetSchema,
      create(FileDescriptorSetSchema, { file }),
    );
  }
}
