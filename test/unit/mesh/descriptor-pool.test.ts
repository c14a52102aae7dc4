import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { DESCRIPTOR_SET } from '../../../gen/descriptors';
import { DescriptorPool } from '../../../services/mesh/descriptor-pool';

describe('DescriptorPool', () => {
  const pool = new DescriptorPool(DESCRIPTOR_SET);

  it('knows the services of the generated contracts', () => {
    expect(pool.hasService('testing.v1.Probe')).toBe(true);
    expect(pool.hasService('switchboard.v1.Registry')).toBe(true);
    expect(pool.hasService('nowhere.v1.Missing')).toBe(false);
  });

  it('gives the file defining a service, serialized', () => {
    const files = pool
      .serializedFilesFor(['testing.v1.Probe'])
      .map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
    expect(files.map((f) => f.name)).toEqual(['testing/v1/probe.proto']);
    expect(files[0].service.map((s) => s.name)).toEqual(['Probe', 'Relay']);
  });

  it('gives each file once when services share it', () => {
    const files = pool.filesFor(['testing.v1.Probe', 'testing.v1.Relay']);
    expect(files).toHaveLength(1);
  });

  it('tells which methods are marked free of side effects', () => {
    expect(pool.isIdempotent('/testing.v1.Probe/Lookup')).toBe(true);
    expect(pool.isIdempotent('/testing.v1.Probe/Unary')).toBe(false);
    expect(pool.isIdempotent('/nowhere.v1.Missing/Get')).toBe(false);
  });

  it('skips services it does not define', () => {
    expect(pool.filesFor(['nowhere.v1.Missing'])).toEqual([]);
    expect(pool.serializedSetFor(['nowhere.v1.Missing'])).toBeUndefined();
  });
});
